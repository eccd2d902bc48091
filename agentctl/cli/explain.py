from __future__ import annotations

import typer

from agentctl.cli.common import format_option


def command(
    rule: str = typer.Argument(..., help="A rule id, e.g. unknown-role."),
    format: str = format_option("rule"),
) -> int:
    """Explain a lint rule: what it checks, why it matters, how to fix it.

    Example: agentctl explain write-without-gate
    """
    from agentctl.cli.common import check_format, emit, render
    from agentctl.errors import UsageError
    from agentctl.lint import all_rules
    from agentctl.model.validate import did_you_mean

    check_format(format, "rule")
    rules = all_rules()
    r = rules.get(rule)
    if r is None:
        raise UsageError(
            f"unknown rule {rule!r}",
            hint=did_you_mean(rule, rules) or "see 'agentctl lint --list-rules'",
        )
    emit(render("rule", format, r))
    return 0
