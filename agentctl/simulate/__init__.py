"""Fixtures → engine → outcome report; two revisions side by side.

`simulate` and `compare` are pure given an iterable of events (from `stream.read_events`
in the shell, or a list in tests): same inputs, same report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from agentctl.engine import MAX_KEYS, Engine, Event, build, reorder
from agentctl.errors import FindingsError, UsageError
from agentctl.findings import Finding, Location, Severity
from agentctl.model.index import Workspace
from agentctl.model.kinds import Expectation
from agentctl.simulate.compare import CompareRun, PolicyFlips, diff
from agentctl.simulate.expect import prepare
from agentctl.simulate.report import Collector, SimRun

__all__ = ["CompareRun", "SimRun", "compare", "simulate"]


def _check_names(only: list[str] | None, *workspaces: Workspace) -> None:
    if not only:
        return
    known = {r.name for ws in workspaces for r in ws.policies}
    for name in only:
        bare = name.removeprefix("policy/")
        if bare not in known:
            from agentctl.model.validate import did_you_mean

            raise UsageError(
                f"no policy {bare!r}",
                hint=did_you_mean(bare, known) or "policies: " + ", ".join(sorted(known)),
            )


def _engine(
    ws: Workspace, only: list[str] | None, side: str, max_keys: int, fast: bool = True
) -> Engine:
    engine, findings = build(ws, only, max_keys, fast)
    if findings:
        where = f" at {side}" if side else ""
        raise FindingsError(
            f"{len(findings)} policy expression(s){where} cannot run",
            findings,
            hint="'agentctl lint' reports the same; fix them first",
        )
    return engine


def simulate(
    ws: Workspace,
    items: Iterable[Event | Finding],
    *,
    title: str,
    events_file: str,
    only: list[str] | None = None,
    expect: list[Expectation] | None = None,
    where: object = None,
    window: float = 0.0,
    max_keys: int = MAX_KEYS,
    fast: bool = True,
) -> SimRun:
    """Run the events through the workspace's policies; check a scenario's expectations.
    fast=False evaluates every expression with CEL (the same report, slower)."""
    _check_names(only, ws)
    engine = _engine(ws, only, "", max_keys, fast)
    keyed = {p.name for p in engine.policies if p.key is not None}
    checks, bad = prepare(expect or [], {p.name for p in engine.policies}, where, keyed)
    if bad:
        raise FindingsError(f"the scenario {title!r} has errors", bad)
    run = SimRun(title, events_file, ws.rev, ws.commit, ws.settings.defaults.timezone)
    collector = Collector(run, engine.policies, lambda ts: engine.keys(ts)[0], checks)
    feed, add, finding = engine.feed, collector.add, collector.finding
    for item in reorder(items, window, events_file):
        if isinstance(item, Event):
            add(item, feed(item))
        else:
            finding(item)
    collector.keys(engine.key_stats(), _locate(ws))
    return run


def _locate(ws: Workspace) -> Callable[[str], Location]:
    def where(name: str) -> Location:
        res = ws.get(f"policy/{name}")
        return res.location("spec", "key") if res is not None else Location("<policy>", 1, 1)

    return where


def _status(old: Workspace, new: Workspace, name: str) -> str:
    a, b = old.get(f"policy/{name}"), new.get(f"policy/{name}")
    if a is None:
        return "added"
    if b is None:
        return "removed"
    return "same" if a.digest == b.digest else "modified"


def compare(
    old: Workspace,
    new: Workspace,
    items: Iterable[Event | Finding],
    *,
    title: str,
    events_file: str,
    only: list[str] | None = None,
    window: float = 0.0,
    max_keys: int = MAX_KEYS,
    fast: bool = True,
    expect: list[Expectation] | None = None,
    where: object = None,
) -> CompareRun:
    """The same events through two revisions: decisions only in the old, only in the new,
    and changed (outcome, approvals, cost, value, input), per policy."""
    _check_names(only, old, new)
    e_old = _engine(old, only, old.rev or "the base", max_keys, fast)
    e_new = _engine(new, only, new.rev or "the working tree", max_keys, fast)
    base = SimRun(title, events_file, old.rev, old.commit, old.settings.defaults.timezone)
    head = SimRun(title, events_file, new.rev, new.commit, new.settings.defaults.timezone)
    c_old = Collector(base, e_old.policies, lambda ts: e_old.keys(ts)[0], timeline=False)
    # the scenario's expectations are judged on the revision under review
    keyed = {p.name for p in e_new.policies if p.key is not None}
    checks, bad = prepare(expect or [], {p.name for p in e_new.policies}, where, keyed)
    if bad:
        raise FindingsError(f"the scenario {title!r} has errors", bad)
    c_new = Collector(head, e_new.policies, lambda ts: e_new.keys(ts)[0], checks, timeline=False)
    names = sorted({p.name for p in e_old.policies} | {p.name for p in e_new.policies})
    flips = {n: PolicyFlips(n, _status(old, new, n)) for n in names}
    result = CompareRun(title, events_file, base, head, [flips[n] for n in names])
    for item in reorder(items, window, events_file):
        if isinstance(item, Event):
            a = e_old.feed(item)
            b = e_new.feed(item)
            c_old.add(item, a)
            c_new.add(item, b)
            if a or b:
                for flip in diff(a, b):
                    flips[flip.any.policy].add(flip)
        else:
            c_new.finding(item)
    c_old.keys(e_old.key_stats(), _locate(old))
    c_new.keys(e_new.key_stats(), _locate(new))
    for pf in result.policies:
        pf.finish()
    evicted_old = [f for f in base.findings if f.severity is Severity.WARNING]
    result.findings = head.findings + evicted_old
    return result
