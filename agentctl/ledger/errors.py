"""The ledger's error: its own module so that schema.py and erasure.py, which store.py uses,
can raise it without importing store.py back."""

from __future__ import annotations

from agentctl.errors import AgentctlError, ExitCode


class LedgerError(AgentctlError):
    """The ledger file is missing, unreadable, not a ledger, or a command misused it."""

    exit_code = ExitCode.USAGE
