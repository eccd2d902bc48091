"""`agentctl diff`: what a change really changes (pure: two Workspaces in, a report out).

Per resource: created, deleted, renamed (the same document under another name), moved
(the same resource in another file), or updated with its field changes; each change
classified by direction and risk (agentctl/diff/risk.py), charters judged on their
effective permissions (agentctl/model/permissions.py), so a connector edit that opens an
operation to a charter shows on that charter. Every high-risk change names who must
approve it (`approver_for`). docs/diff.md documents the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentctl.diff.fields import FieldChange, changes, dump
from agentctl.diff.risk import LEVELS, RANK, Risk, classify, permission_risks
from agentctl.findings import Location
from agentctl.model.index import Resource, Workspace
from agentctl.model.permissions import Permission, effective_permissions

ACTIONS = ("create", "delete", "rename", "move", "update")
SYMBOLS = {"create": "+", "delete": "-", "rename": "~", "move": "~", "update": "~"}


@dataclass
class ResourceChange:
    ref: str
    kind: str
    action: str  # one of ACTIONS
    file: str  # where it is now (where it was, for a deletion)
    old_ref: str | None = None  # a rename's former name
    old_file: str | None = None  # a move's or rename's former file
    fields: list[FieldChange] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    owner: str | None = None
    approver: str | None = None  # who must approve, when a risk is high
    locations: dict[tuple[str | int, ...], Location] = field(default_factory=dict)
    flips: list[Any] = field(default_factory=list)  # simulate results for changed policies
    failed_expectations: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        if not self.risks:
            return "low"
        return min((r.level for r in self.risks), key=RANK.__getitem__)

    def location(self, path: tuple[str | int, ...] = ()) -> Location:
        return self.locations.get(path) or self.locations.get(()) or Location(self.file, 1, 1)


@dataclass
class DiffReport:
    base: str  # a revision, or "working tree"
    head: str
    changes: list[ResourceChange] = field(default_factory=list)

    def count(self, level: str) -> int:
        return sum(1 for c in self.changes if c.level == level)

    @property
    def max_risk(self) -> str | None:
        if not self.changes:
            return None
        return min((c.level for c in self.changes), key=RANK.__getitem__)

    @property
    def approvers(self) -> list[str]:
        return sorted({c.approver for c in self.changes if c.approver})

    def fails(self, fail_on: str | None) -> bool:
        """--fail-on LEVEL: any change at LEVEL or higher."""
        if fail_on is None:
            return False
        return any(RANK[c.level] <= RANK[fail_on] for c in self.changes)

    def verdict(self) -> str:
        n = len(self.changes)
        if not n:
            return "No changes."
        parts = [f"{self.count(lv)} {lv}" for lv in LEVELS if self.count(lv)]
        text = f"{n} change{'s' if n != 1 else ''}: {', '.join(parts)}"
        if self.approvers:
            text += f"; approval needed from {', '.join(self.approvers)}"
        return text


def approver_for(ws: Workspace, owner: str | None) -> str | None:
    """Who approves a high-risk change to a resource owned by `owner`: the role the owner
    reports to; the owner itself when it reports to nobody; None without an owner.
    (docs/diff.md, "Who approves"; `plan`/`apply` will enforce the same rule.)"""
    if owner is None:
        return None
    role = ws.role(owner)
    if role is not None and role.doc.spec.reports_to:
        return str(role.doc.spec.reports_to)
    return owner


def _body(res: Resource[Any]) -> dict[str, Any]:
    """The document without its name: what identifies a rename."""
    d = dump(res.doc)
    meta = dict(d.get("metadata", {}))
    meta.pop("name", None)
    return {**d, "metadata": meta}


def _owner(res: Resource[Any]) -> str | None:
    owner = res.doc.metadata.owner
    return str(owner) if owner is not None else None


def _perms(ws: Workspace, res: Resource[Any] | None) -> dict[str, Permission]:
    if res is None or res.kind != "Charter":
        return {}
    return effective_permissions(ws, res.doc)


def short_version(version: str) -> str:
    """sha256:0123456789ab… → sha256:0123456789ab (what a person compares)."""
    algo, _, hexdigits = version.partition(":")
    return f"{algo}:{hexdigits[:12]}" if hexdigits else version[:19]


def diff(
    old: Workspace,
    new: Workspace,
    base: str,
    head: str,
    *,
    old_versions: Mapping[str, str] | None = None,
    new_versions: Mapping[str, str] | None = None,
) -> DiffReport:
    """`old_versions`/`new_versions` (ref → model/versions.py version, optional): a
    resource whose document is the same but whose version changed (a charter's code) is
    an update with "code changed"."""
    report = DiffReport(base, head)
    olds = {r.ref: r for r in old.resources}
    news = {r.ref: r for r in new.resources}
    gone = [olds[k] for k in sorted(set(olds) - set(news))]
    born = [news[k] for k in sorted(set(news) - set(olds))]
    # a deleted and a created document of one kind with the same body: a rename
    renamed: dict[str, Resource[Any]] = {}
    bodies: dict[tuple[str, str], Resource[Any]] = {}
    for r in gone:
        bodies.setdefault((r.kind, repr(_body(r))), r)
    for r in born:
        match = bodies.pop((r.kind, repr(_body(r))), None)
        if match is not None:
            renamed[r.ref] = match
    renamed_from = {v.ref for v in renamed.values()}
    out: list[ResourceChange] = []
    for r in born:
        was = renamed.get(r.ref)
        if was is not None:
            rc = ResourceChange(r.ref, r.kind, "rename", r.file, was.ref, was.file)
            rc.risks.append(Risk("low", "neutral", f"renamed from {was.ref}"))
        else:
            rc = ResourceChange(r.ref, r.kind, "create", r.file)
            rc.risks.append(
                Risk("medium" if r.kind == "Charter" else "low", "widening", f"new {r.kind}")
            )
            rc.risks.extend(permission_risks({}, _perms(new, r)))
        _finish(rc, r, new)
        out.append(rc)
    for r in gone:
        if r.ref in renamed_from:
            continue
        rc = ResourceChange(r.ref, r.kind, "delete", r.file)
        rc.risks.append(_deletion_risk(old, r))
        rc.owner = _owner(r)
        rc.locations[()] = r.location()
        if rc.level == "high":
            rc.approver = approver_for(old, rc.owner)
        out.append(rc)
    for ref in sorted(set(olds) & set(news)):
        a, b = olds[ref], news[ref]
        perm_risks = permission_risks(_perms(old, a), _perms(new, b))
        v_old = old_versions.get(ref) if old_versions is not None else None
        v_new = new_versions.get(ref) if new_versions is not None else None
        code = a.digest == b.digest and v_old is not None and v_new is not None and v_old != v_new
        if a.digest == b.digest and a.file == b.file and not perm_risks and not code:
            continue
        action = "update" if a.digest != b.digest or perm_risks or code else "move"
        rc = ResourceChange(
            ref, b.kind, action, b.file, old_file=a.file if a.file != b.file else None
        )
        if a.digest != b.digest:
            rc.fields = changes(dump(a.doc), dump(b.doc))
            rc.risks.extend(classify(b.kind, c) for c in rc.fields)
        rc.risks.extend(perm_risks)
        if code and v_old is not None and v_new is not None:
            # the document is the same, what runs is not: its code (docs/deploy.md)
            msg = f"code changed: version {short_version(v_old)} → {short_version(v_new)}"
            rc.risks.append(Risk("medium", "neutral", msg))
        if action == "move":
            rc.risks.append(Risk("low", "neutral", f"moved from {a.file}"))
        _finish(rc, b, new)
        out.append(rc)
    out.sort(key=lambda c: (RANK[c.level], c.ref))
    report.changes = out
    return report


def _finish(rc: ResourceChange, res: Resource[Any], ws: Workspace) -> None:
    rc.owner = _owner(res)
    rc.locations[()] = res.location()
    for c in rc.fields:
        rc.locations[c.path] = res.location(*c.path)
    if rc.level == "high":
        rc.approver = approver_for(ws, rc.owner)


def _deletion_risk(old: Workspace, res: Resource[Any]) -> Risk:
    """Deleting narrows, except a suite that gates a charter (the gate goes with it) and
    a contract's or role's removal, which is neutral."""
    if res.kind == "EvalSuite":
        gated = [c.name for c in old.charters if any(g.suite == res.ref for g in c.doc.spec.gates)]
        if gated:
            return Risk("high", "widening", f"deletes the gate of {', '.join(sorted(gated))}")
    return Risk("low", "narrowing", f"{res.kind} deleted")


def changed_policies(report: DiffReport) -> list[str]:
    """The policies whose decisions may differ: created, renamed or updated."""
    return [
        c.ref.split("/", 1)[1]
        for c in report.changes
        if c.kind == "Policy" and c.action in ("create", "rename", "update")
    ]


def attach_impact(
    report: DiffReport,
    new: Workspace,
    flips: dict[str, list[str]],
    failed: dict[str, list[str]],
) -> None:
    """Put the scenarios' verdicts on the policy changes: flips are shown, and expectations
    that now fail make the change high risk (the scenario said what must happen)."""
    for c in report.changes:
        if c.kind != "Policy":
            continue
        name = c.ref.split("/", 1)[1]
        c.flips = list(flips.get(name, []))
        c.failed_expectations = list(failed.get(name, []))
        if c.failed_expectations:
            n = len(c.failed_expectations)
            c.risks.append(Risk("high", "widening", f"{n} scenario expectation(s) now fail"))
            c.approver = approver_for(new, c.owner)
    report.changes.sort(key=lambda c: (RANK[c.level], c.ref))
