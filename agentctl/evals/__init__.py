"""Eval suites as deployment gates: run each case through the runtime, judge it from its
trace in the ledger, decide each suite's gate (docs/evals.md)."""
