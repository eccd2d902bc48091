"""One error hierarchy. Only the CLI entry point turns these into messages and exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentctl.findings import Finding


class ExitCode:
    """The exit code table shared by every command (`agentctl help exit-codes`)."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INTERRUPTED = 130


class AgentctlError(Exception):
    """Base of every error agentctl raises on purpose. Carries its exit code and a hint."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AgentctlError):
    """Bad command-line usage: an option that makes no sense, a missing argument."""


class ConfigError(AgentctlError):
    """The workspace cannot be found or read at all (not a finding in one file)."""


class GitError(AgentctlError):
    """A git revision or repository that cannot be read."""


class FindingsError(AgentctlError):
    """Stops a command because its input has findings; carries them for rendering."""

    exit_code = ExitCode.FINDINGS

    def __init__(self, message: str, findings: list[Finding], *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.findings = findings
