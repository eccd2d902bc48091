from __future__ import annotations

import os
from pathlib import Path

import typer

from agentctl.cli.common import WorkspaceOpt, check_format, emit, format_option, render

LEVELS = ["high", "medium", "low"]


def command(
    base: str = typer.Argument(
        None, help="Base revision (default: the merge base with the default branch)."
    ),
    head: str = typer.Argument(None, help="Head revision (default: the working tree)."),
    workspace: Path = WorkspaceOpt,
    format: str = format_option("diff"),
    fail_on: str = typer.Option(
        None, "--fail-on", help="Exit 1 when a change is at this risk or higher: high|medium|low."
    ),
) -> int:
    """What a change really changes: a risk-ranked semantic diff of two revisions.

    Per resource: created, deleted, renamed, moved or the fields that changed, each
    judged widening or narrowing on the charters' effective permissions; high-risk
    changes name who must approve them. With $GITHUB_OUTPUT set, writes has_changes,
    max_risk and approvers there.

    Example: agentctl diff origin/main --format markdown --fail-on high
    """
    from agentctl.cli.common import load, workspace_root
    from agentctl.diff import attach_impact, changed_policies, diff
    from agentctl.errors import ExitCode, UsageError
    from agentctl.workspace.revisions import merge_base, repo_prefix

    check_format(format, "diff")
    if fail_on is not None and fail_on not in LEVELS:
        raise UsageError(f"unknown risk level {fail_on!r}", hint="choose high, medium or low")
    root = workspace_root(workspace)
    base_rev = base or merge_base(root)
    old = load(workspace, base_rev)
    new = load(workspace, head)
    shown_base = base or f"{base_rev[:12]} (merge base)"
    # versions: a charter whose document is unchanged but whose code changed is an update
    from agentctl.deploy.desired import safe_reader
    from agentctl.model.versions import versions

    report = diff(
        old.workspace,
        new.workspace,
        shown_base,
        head or "working tree",
        old_versions=versions(old.workspace, safe_reader(old.reader)),
        new_versions=versions(new.workspace, safe_reader(new.reader)),
    )
    policies = changed_policies(report)
    if policies:  # replay the scenarios through both revisions (docs/diff.md)
        from agentctl.simulate.impact import policy_impact

        impact = policy_impact(old.workspace, new.workspace, root, policies)
        attach_impact(
            report,
            new.workspace,
            {k: v.flips for k, v in impact.items()},
            {k: v.failed for k, v in impact.items()},
        )
    text = render("diff", format, report, prefix=repo_prefix(root))
    emit(text)
    out = os.environ.get("GITHUB_OUTPUT")
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(f"has_changes={'true' if report.changes else 'false'}\n")
            fh.write(f"max_risk={report.max_risk or 'none'}\n")
            fh.write(f"approvers={','.join(report.approvers)}\n")
    return ExitCode.FINDINGS if report.fails(fail_on) else ExitCode.OK
