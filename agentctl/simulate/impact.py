"""What a policy change would have decided differently: the workspace's scenarios replayed
through both revisions (flips), and their expectations checked against the new one.

Used by `agentctl diff` for every policy whose document changed. Reads the scenarios'
event files (the shell side of simulate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agentctl.model.index import Workspace
from agentctl.simulate import compare, simulate
from agentctl.simulate.scenario import Scenario, select
from agentctl.simulate.stream import read_events


@dataclass
class PolicyImpact:
    policy: str
    flips: list[str] = field(default_factory=list)  # one line per scenario with flips
    failed: list[str] = field(default_factory=list)  # expectations that now fail


def _scenarios(ws: Workspace, root: Path) -> list[Scenario]:
    return select(ws, root, None) if ws.scenarios else []


def policy_impact(
    old: Workspace, new: Workspace, root: Path, policies: list[str]
) -> dict[str, PolicyImpact]:
    """Per policy name in `policies`: the flips and failed expectations of every scenario
    of `new` (scenarios whose event files are missing are skipped)."""
    out = {p: PolicyImpact(p) for p in policies}
    known_old = {r.name for r in old.policies}
    known_new = {r.name for r in new.policies}
    both = [p for p in policies if p in known_old or p in known_new]
    if not both:
        return out
    for sc in _scenarios(new, root):
        if not sc.events_path.is_file():
            continue
        cmp = compare(
            old,
            new,
            read_events(sc.events_path, sc.events_display),
            title=sc.name,
            events_file=sc.events_display,
            only=both,
        )
        for pf in cmp.policies:
            if pf.total and pf.policy in out:
                counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in pf.counts.items() if n)
                out[pf.policy].flips.append(f"scenario {sc.name}: {pf.total} flip(s) ({counts})")
        mine = [e for e in sc.spec.expect if e.policy.removeprefix("policy/") in known_new]
        mine = [e for e in mine if e.policy.removeprefix("policy/") in out]
        if not mine:
            continue
        run = simulate(
            new,
            read_events(sc.events_path, sc.events_display),
            title=sc.name,
            events_file=sc.events_display,
            only=[p for p in both if p in known_new],
            expect=mine,
            where=sc.where,
        )
        for check in run.failed_checks:
            out[check.policy.removeprefix("policy/")].failed.append(
                f"scenario {sc.name}: expected {check.expected()}; got {check.got()}"
            )
    return out
