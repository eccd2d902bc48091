from __future__ import annotations

import typer

from agentctl.cli.common import format_option


def command(
    rule: str = typer.Argument(..., help="A rule id, e.g. unknown-role."),
    format: str = format_option(["text", "json"]),
) -> int:
    """Explain a lint rule: what it checks, why it matters, how to fix it.

    Example: agentctl explain write-without-gate
    """
    from agentctl.cli.common import check_format, emit
    from agentctl.errors import UsageError
    from agentctl.lint import all_rules
    from agentctl.model.validate import did_you_mean

    check_format(format, ["text", "json"])
    rules = all_rules()
    r = rules.get(rule)
    if r is None:
        raise UsageError(
            f"unknown rule {rule!r}",
            hint=did_you_mean(rule, rules) or "see 'agentctl lint --list-rules'",
        )
    if format == "json":
        import json

        from agentctl.render.envelope import envelope

        data = {
            "id": r.id,
            "severity": r.severity.value,
            "category": r.category,
            "summary": r.summary,
            "explanation": r.explanation,
        }
        emit(json.dumps(envelope(data), indent=2))
        return 0
    emit(f"{r.id} ({r.severity.value}, {r.category})\n\n{r.summary}\n\n{r.explanation}\n")
    return 0
