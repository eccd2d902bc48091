from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, check_format, emit, format_option, render

if TYPE_CHECKING:
    from agentctl.lint import Rule


def command(
    paths: list[Path] = typer.Argument(None, help="Only these files or folders."),
    workspace: Path = WorkspaceOpt,
    rev: str = RevOpt,
    format: str = format_option("lint"),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail the run too."),
    today: str = typer.Option(None, "--today", help="Judge expiry dates as of YYYY-MM-DD."),
    select: list[str] = typer.Option([], "--select", help="Only these rule ids (repeatable)."),
    ignore: list[str] = typer.Option([], "--ignore", help="Skip these rule ids (repeatable)."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List the rules and exit."),
) -> int:
    """Check the workspace: schemas, references, CEL, budgets, dates, privileges.

    Exit 0 when clean, 1 on errors (or warnings with --strict), 2 on usage errors.

    Example: agentctl lint --format sarif > agentctl.sarif
    """
    from agentctl.cli.common import load, workspace_root
    from agentctl.cli.common import today as today_of
    from agentctl.errors import ExitCode, UsageError
    from agentctl.lint import all_rules, run_lint
    from agentctl.workspace.revisions import repo_prefix

    check_format(format, "lint")
    if list_rules:
        emit(_rule_list(all_rules(), format))
        return ExitCode.OK
    rules = all_rules()
    for rid in [*select, *ignore]:
        if rid not in rules:
            from agentctl.model.validate import did_you_mean

            raise UsageError(
                f"unknown rule {rid!r}", hint=did_you_mean(rid, rules) or "see --list-rules"
            )
    result = load(workspace, rev)
    report = run_lint(
        result.workspace,
        result.findings,
        today_of(today),
        files=len(
            {r.file for r in result.workspace.resources}
            | {f.location.file for f in result.findings}
        ),
        select=select,
        ignore=ignore,
    )
    if paths:  # lint everything (references cross files), report only on these paths
        from agentctl.workspace.loader import restrict

        report.findings = restrict(report.findings, workspace_root(workspace), paths)
    report.repo_prefix = repo_prefix(workspace_root(workspace))
    emit(render("lint", format, report))
    if format == "github":
        from agentctl.render.github import write_step_summary

        write_step_summary(report, os.environ)
    return ExitCode.FINDINGS if report.failed(strict) else ExitCode.OK


def _rule_list(rules: Mapping[str, Rule], format: str) -> str:
    """The rules as JSON (with format_version) or as text; SARIF carries its rules in
    every report's tool.driver.rules, so it and the other formats list them as text."""
    if format != "json":
        return _rule_table(rules)
    from agentctl.render.envelope import envelope
    from agentctl.render.json import dumps

    return dumps(
        envelope(
            {
                "kind": "rules",
                "rules": [
                    {
                        "id": r.id,
                        "severity": r.severity.value,
                        "category": r.category,
                        "summary": r.summary,
                    }
                    for r in rules.values()
                ],
            }
        )
    )


def _rule_table(rules: Mapping[str, Rule]) -> str:
    """Id and severity on one line, the summary indented below: fits 80 columns."""
    import textwrap

    lines = []
    for r in rules.values():
        lines.append(f"{r.id}  ({r.severity.value})")
        lines.extend(textwrap.wrap(r.summary, 76, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)
