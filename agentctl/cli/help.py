from __future__ import annotations

import typer

from agentctl.cli.common import format_option

TOPICS = {
    "exit-codes": """Exit codes (every command)

  0    clean: no findings, gates passed, the agent succeeded
  1    findings, a failed gate, an agent stopped by its guard, differences
       that --fail-on names, or a refused apply or approval (a stale plan, a
       missing approval, a locked environment, not a member of the role)
  2    usage or configuration error: a bad option, no workspace, an unknown
       git revision
  3    internal error: a bug in agentctl (the traceback is in a crash log;
       rerun with --debug to see it)
  130  interrupted (Ctrl-C)

The one exception follows Terraform: `plan --detailed-exitcode` gives
0 no changes, 1 error, 2 changes present.
""",
    "cel": """CEL in agentctl

Conditions, computed inputs, approval rules and eval assertions are CEL
(https://cel.dev). Each place sees its own variables:

  policy condition, action input   event, metrics, state
  approval rule (when:)            plan, event, metrics, state
  eval assertion                   output, trace, input

Numbers are doubles: every number from YAML, JSON, events and metrics reaches
CEL as a double, and integer literals in expressions are read as doubles, so
`event.units * 0.9 > 2` works. List indexes stay integers (`items[0]`). For
arithmetic on size() or int() results, wrap them: double(size(x)) * 0.5.
Added functions: max(a, b, ...), min(a, b, ...), abs(x).
""",
    "trace": """trace: what an eval assertion sees of a run (docs/evals.md)

An eval case's assertions are CEL over input (the case's input), output (what
the agent returned) and trace, built from the run's events in the ledger:

  trace.trace_id     the run's trace (agentctl ledger show ID)
  trace.charter      the charter under test
  trace.status       the run's status: ok|error|denied|stopped
  trace.calls        tool and model calls, in order, asked agents' included:
                     {kind: tool|model, principal, operation, scope, effect,
                      input, output, status: ok|error, error, cost_usd,
                      latency_ms, data_classes}
  trace.denials      what the guard refused, in order: {principal, operation,
                     scope, data_class, data_classes, rule, reason,
                     status: denied|stopped, input}
  trace.asks         requests to other agents: {principal, to, contract, input,
                     output, status, cost_usd, latency_ms, sla_missed}
  trace.escalations  {principal, to, contract, reasons}
  totals             trace.cost_usd, trace.latency_ms, trace.steps,
                     trace.tool_calls, trace.model_calls, trace.tokens

Example:
  trace.calls.exists(c, c.operation == "billing.refund" && c.status == "ok")
""",
}


def command(
    topic: str = typer.Argument(..., help="One of: " + ", ".join(TOPICS)),
    format: str = format_option("topic"),
) -> int:
    """Read a help topic: exit-codes, cel, trace.

    Example: agentctl help exit-codes
    """
    from agentctl.cli.common import check_format, emit, render
    from agentctl.errors import UsageError
    from agentctl.render.topics import Topic

    check_format(format, "topic")
    if topic not in TOPICS:
        raise UsageError(f"unknown help topic {topic!r}", hint="topics: " + ", ".join(TOPICS))
    emit(render("topic", format, Topic(topic, TOPICS[topic])))
    return 0
