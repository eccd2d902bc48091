"""`agentctl simulate --format json`: every decision, summaries, expectations, flips."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentctl.engine.events import format_ts
from agentctl.render.envelope import envelope
from agentctl.render.json import dumps

if TYPE_CHECKING:
    from agentctl.simulate.compare import CompareRun
    from agentctl.simulate.report import SimRun
    from agentctl.simulate.runner import Simulation


def _ts(ts: float | None) -> str | None:
    return None if ts is None else format_ts(ts)


def _side(run: SimRun) -> dict[str, Any]:
    return {"rev": run.rev, "commit": run.commit, "timezone": run.timezone}


def run_data(run: SimRun) -> dict[str, Any]:
    return {
        "title": run.title,
        "events_file": run.events_file,
        "workspace": _side(run),
        "events": run.events,
        "first_ts": _ts(run.first_ts),
        "last_ts": _ts(run.last_ts),
        "decisions": run.decisions,
        "passed": not run.failed,
        "policies": [p.to_dict() for p in run.policies],
        "expectations": [c.to_dict() for c in run.checks],
        "timeline": [e.to_dict() for e in run.timeline],
        "timeline_dropped": run.timeline_dropped,
        "findings": [f.to_dict() for f in run.findings],
        "findings_dropped": run.findings_dropped,
    }


def render(runs: list[SimRun], *, color: bool = False, limit: int = 0) -> str:
    return dumps(envelope({"kind": "simulation", "runs": [run_data(r) for r in runs]}))


def compare_data(cmp: CompareRun) -> dict[str, Any]:
    return {
        "title": cmp.title,
        "events_file": cmp.events_file,
        "base": _side(cmp.base),
        "head": _side(cmp.head),
        "events": cmp.head.events,
        "flips": cmp.flips,
        "totals": cmp.totals(),
        "policies": [p.to_dict() for p in cmp.policies],
        "summary": {
            "base": [p.to_dict() for p in cmp.base.policies],
            "head": [p.to_dict() for p in cmp.head.policies],
        },
        "expectations": [c.to_dict() for c in cmp.head.checks],
        "passed": not cmp.head.failed_checks,
        "findings": [f.to_dict() for f in cmp.findings],
    }


def render_compare(runs: list[CompareRun], *, color: bool = False) -> str:
    return dumps(envelope({"kind": "comparison", "runs": [compare_data(r) for r in runs]}))


def render_simulation(sim: Simulation, *, color: bool = False, limit: int = 0) -> str:
    """The renderer the registry names: a simulation, or a comparison of two revisions."""
    if sim.problem is not None:  # it could not run: the reason and its findings
        from agentctl.findings import sort_findings

        exc = sim.problem
        return dumps(
            envelope(
                {
                    "kind": "simulation",
                    "error": exc.message,
                    "findings": [f.to_dict() for f in sort_findings(exc.findings)],
                }
            )
        )
    if sim.comparisons is not None:
        return render_compare(sim.comparisons, color=color)
    return render(sim.runs, color=color, limit=limit)
