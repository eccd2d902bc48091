from __future__ import annotations

import typer


def command(rule: str = typer.Argument(..., help="A rule id, e.g. unknown-role.")) -> int:
    """Explain a lint rule: what it checks, why it matters, how to fix it.

    Example: agentctl explain write-without-gate
    """
    from agentctl.cli.common import emit
    from agentctl.errors import UsageError
    from agentctl.lint import all_rules
    from agentctl.model.validate import did_you_mean

    rules = all_rules()
    r = rules.get(rule)
    if r is None:
        raise UsageError(
            f"unknown rule {rule!r}",
            hint=did_you_mean(rule, rules) or "see 'agentctl lint --list-rules'",
        )
    emit(f"{r.id} ({r.severity.value}, {r.category})\n\n{r.summary}\n\n{r.explanation}\n")
    return 0
