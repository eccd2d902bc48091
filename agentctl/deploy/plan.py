"""`agentctl plan`: desired (a workspace and its versions) against applied (an
environment's state in the ledger). Pure: the shell passes the workspaces, the versions and
the applied state in; this decides, per resource, create / update / delete / no-op with its
semantic diff and risk (agentctl/diff), the gates each change requires and the approvals
it needs (`approver_for`, the rule of docs/diff.md). docs/deploy.md documents it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentctl.deploy.state import AppliedState, Deployed, Environment, Position
from agentctl.diff import ResourceChange, approver_for, diff
from agentctl.diff.fields import FieldChange
from agentctl.diff.risk import RANK, Risk, permission_risks
from agentctl.model.index import Resource, Workspace
from agentctl.model.permissions import effective_permissions

ACTION_ORDER = {"delete": 0, "create": 1, "update": 2}  # deletions first, as Terraform
PLAN_FORMAT = 1  # the saved plan's own format (what apply reads back)


def _digest(body: Any) -> str:
    data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(data).hexdigest()


def subject_digest(env: str, ref: str, action: str, old: str | None, new: str | None) -> str:
    """What an approval of one change binds to: the environment, the resource, and the
    exact version it goes from and to. Any other version is another subject."""
    return _digest({"env": env, "ref": ref, "action": action, "from": old, "to": new})


@dataclass
class Gate:
    """One gate a plan must pass: lint, an eval suite (for a charter's version) or a
    policy scenario."""

    kind: str  # lint | suite | scenario
    name: str  # "lint", "evalsuite/NAME", "scenario/NAME"
    needed_by: list[str] = field(default_factory=list)  # the changed refs that require it
    charter: str | None = None  # a suite's charter (charter/NAME)
    charter_version: str | None = None
    suite_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "needed_by": self.needed_by,
            "charter": self.charter,
            "charter_version": self.charter_version,
            "suite_version": self.suite_version,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Gate:
        return cls(
            d["kind"],
            d["name"],
            list(d.get("needed_by", [])),
            d.get("charter"),
            d.get("charter_version"),
            d.get("suite_version"),
        )


@dataclass
class Need:
    """An approval a change requires: a member of `role` approves exactly `digest`."""

    ref: str
    role: str
    digest: str
    subject: str  # "charter/x in prod: update"
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "role": self.role,
            "digest": self.digest,
            "subject": self.subject,
            "reasons": self.reasons,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Need:
        return cls(d["ref"], d["role"], d["digest"], d["subject"], list(d.get("reasons", [])))


@dataclass
class Change:
    ref: str
    kind: str
    action: str  # create | update | delete
    file: str
    old_version: str | None
    new_version: str | None
    risks: list[Risk] = field(default_factory=list)
    fields: list[FieldChange] = field(default_factory=list)
    owner: str | None = None
    approver: str | None = None
    gates: list[str] = field(default_factory=list)
    detail: ResourceChange | None = None  # the semantic diff, when the documents differ

    @property
    def level(self) -> str:
        if not self.risks:
            return "low"
        return min((r.level for r in self.risks), key=RANK.__getitem__)


@dataclass
class Plan:
    env: str
    after: str | None  # the environment before it in the promotion order
    rev: str | None  # None: the working copy
    commit: str | None
    tree: str | None
    position: Position  # where the applied state was read
    deployment: str | None  # the id of the last deployment (None: never deployed)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    gates: list[Gate] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # every desired resource
    notes: list[str] = field(default_factory=list)  # what the plan could not judge

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    def verdict(self) -> str:
        if not self.changes:
            return "No changes. The environment matches the workspace."
        return (
            f"Plan: {self.count('create')} to add, {self.count('update')} to change, "
            f"{self.count('delete')} to destroy."
        )

    @property
    def digest(self) -> str:
        """The plan's identity: what it was made from (the workspace folder's tree, not the
        commit: a commit elsewhere in a monorepo changes nothing here) and every change's
        versions."""
        return _digest(
            {
                "format": PLAN_FORMAT,
                "env": self.env,
                "tree": self.tree,
                "position": self.position.as_dict(),
                "changes": [[c.ref, c.action, c.old_version, c.new_version] for c in self.changes],
                "versions": self.versions,
            }
        )


def _gates(plan: Plan, new: Workspace, changed: list[Change]) -> None:
    """Lint for any change; the suites named by changed charters' gates (not of a version
    that is paused); the scenarios that replay changed policies."""
    live = [c for c in changed if c.action != "delete"]
    if not changed:
        return
    gates: dict[str, Gate] = {"lint": Gate("lint", "lint", [c.ref for c in changed])}
    for c in live:
        if c.kind == "Charter":
            charter = new.charter(c.ref)
            if charter is None or charter.doc.spec.paused:
                # a paused version runs nothing, so its suites cannot pass and need not:
                # deploying `paused: true` must never wait on a gate
                continue
            for g in charter.doc.spec.gates:
                suite = new.get(str(g.suite))
                name = f"evalsuite/{str(g.suite).partition('/')[2]}"
                gate = gates.setdefault(
                    f"{name}@{c.ref}",
                    Gate(
                        "suite",
                        name,
                        [],
                        c.ref,
                        c.new_version,
                        plan.versions.get(suite.ref) if suite is not None else None,
                    ),
                )
                gate.needed_by.append(c.ref)
                c.gates.append(name)
        elif c.kind == "Policy":
            policy = c.ref.partition("/")[2]
            for sc in new.scenarios:
                if not sc.doc.spec.policies or policy in sc.doc.spec.policies:
                    name = f"scenario/{sc.name}"
                    gates.setdefault(name, Gate("scenario", name)).needed_by.append(c.ref)
                    c.gates.append(name)
    for c in changed:
        c.gates.insert(0, "lint")
    plan.gates = list(gates.values())


@dataclass(frozen=True)
class Before:
    """The workspace at a commit that applied resources came from: what a change is
    diffed against (the resource's document as it was deployed)."""

    workspace: Workspace


def needed_commits(applied: AppliedState, new_versions: Mapping[str, str]) -> list[str]:
    """The commits whose workspace the plan diffs against: those the changed resources
    were deployed from, and the last deployment's (its roles count for approvals)."""
    out = {
        d.commit
        for ref, d in applied.resources.items()
        if d.commit and new_versions.get(ref) != d.version
    }
    if applied.deployment and applied.deployment.commit:
        out.add(applied.deployment.commit)
    return sorted(out)


def make_plan(
    env: Environment,
    applied: AppliedState,
    befores: Mapping[str, Before],
    new: Workspace,
    new_versions: Mapping[str, str],
    *,
    rev: str | None,
    commit: str | None,
    tree: str | None,
) -> Plan:
    """Desired (`new` with its versions) against `applied`, by version. Each updated or
    deleted resource is diffed against the workspace at the commit it was deployed from
    (`befores`, by commit; see `needed_commits`); when that is missing, or holds another
    version of it, the change cannot be judged and is high risk."""
    old_versions = applied.versions()
    diffs: dict[str, dict[str, ResourceChange]] = {}

    def detail(at: str) -> dict[str, ResourceChange]:
        if at not in diffs:
            b = befores[at]
            # the versions as deployed: a deployment from a working copy with edited code
            # has the commit's document and another version ("code changed")
            report = diff(
                b.workspace,
                new,
                "applied",
                rev or "working copy",
                old_versions={
                    r: v for r, v in old_versions.items() if b.workspace.get(r) is not None
                },
                new_versions=new_versions,
            )
            diffs[at] = {rc.ref: rc for rc in report.changes}
        return diffs[at]

    plan = Plan(
        env.name,
        env.after,
        rev,
        commit,
        tree,
        applied.position,
        applied.deployment.id if applied.deployment else None,
        versions=dict(sorted(new_versions.items())),
    )
    changes: list[Change] = []
    unknown: set[str] = set()
    for ref in sorted(set(old_versions) | set(new_versions)):
        was, now = old_versions.get(ref), new_versions.get(ref)
        if was == now:
            plan.unchanged += 1
            continue
        action = "create" if was is None else "delete" if now is None else "update"
        deployed = applied.resources.get(ref)
        at = deployed.commit if deployed is not None else None
        b = befores.get(at) if at else None
        if action == "create":
            changes.append(_created(ref, now, new))
        elif b is not None and deployed is not None and _same_document(b, deployed):
            rc = detail(at).get(ref) if at else None
            changes.append(_judged(ref, action, was, now, rc, b.workspace, new, env.name))
        else:
            changes.append(_unjudged(ref, action, was, now, at, new))
            unknown.add(at or "none")
    changes.sort(key=lambda c: (ACTION_ORDER[c.action], RANK[c.level], c.ref))
    plan.changes = changes
    for at in sorted(unknown):
        plan.notes.append(
            f"the deployed documents of commit {at[:12]} are not in this repository: "
            "changes from it are not diffed (fetch that commit for a semantic diff)"
            if at != "none"
            else "some deployed resources came from no git commit: their changes are not diffed"
        )
    _gates(plan, new, changes)
    plan.needs = [
        Need(
            c.ref,
            c.approver,
            subject_digest(env.name, c.ref, c.action, c.old_version, c.new_version),
            f"{c.ref} in {env.name}: {c.action}",
            [r.message for r in c.risks if r.level == "high"],
        )
        for c in changes
        if c.approver is not None
    ]
    return plan


def _same_document(b: Before, deployed: Deployed) -> bool:
    """Is the document at the deployment's commit the one deployed (by its digest)?"""
    res = b.workspace.get(deployed.ref)
    return res is not None and res.digest == deployed.document


def _owner(res: Resource[Any] | None) -> str | None:
    owner = res.doc.metadata.owner if res is not None else None
    return str(owner) if owner is not None else None


def _created(ref: str, now: str | None, new: Workspace) -> Change:
    """A new resource: judged as diff judges a creation (agentctl/diff)."""
    res = new.get(ref)
    kind = res.kind if res is not None else _kind_of(ref)
    c = Change(ref, kind, "create", res.file if res is not None else "", None, now)
    c.risks = [Risk("medium" if kind == "Charter" else "low", "widening", f"new {kind}")]
    if res is not None and kind == "Charter":
        c.risks.extend(permission_risks({}, effective_permissions(new, res.doc)))
    c.owner = _owner(res)
    if c.level == "high":
        c.approver = approver_for(new, c.owner)
    return c


def _judged(
    ref: str,
    action: str,
    was: str | None,
    now: str | None,
    rc: ResourceChange | None,
    old: Workspace,
    new: Workspace,
    env: str,
) -> Change:
    """An update or deletion diffed against the document as deployed."""
    res = new.get(ref) if action != "delete" else old.get(ref)
    kind = res.kind if res is not None else _kind_of(ref)
    c = Change(ref, kind, action, res.file if res is not None else "", was, now)
    if rc is not None:
        c.risks = list(rc.risks)
        c.fields = list(rc.fields)
        c.detail = rc
    elif action == "delete":
        c.risks = [Risk("low", "narrowing", f"{kind} removed from {env}")]
    else:  # the same document as deployed, another version: its code
        c.risks = [Risk("medium", "neutral", "code changed (the document is unchanged)")]
    c.owner = _owner(res)
    if c.level == "high":
        c.approver = approver_for(new if action != "delete" else old, c.owner)
    return c


def _unjudged(
    ref: str, action: str, was: str | None, now: str | None, at: str | None, new: Workspace
) -> Change:
    """A change whose deployed document is not available: high risk (an approver looks)."""
    res = new.get(ref)
    kind = res.kind if res is not None else _kind_of(ref)
    c = Change(ref, kind, action, res.file if res is not None else "", was, now)
    where = f"commit {at[:12]}" if at else "no commit"
    c.risks = [
        Risk(
            "high",
            "widening",
            f"cannot be judged: the deployed version ({where}) is not in this repository",
        )
    ]
    c.owner = _owner(res)
    c.approver = approver_for(new, c.owner) if res is not None else None
    return c


def _kind_of(ref: str) -> str:
    from agentctl.model.kinds import REF_PREFIX

    prefix = ref.partition("/")[0]
    return next((k for k, p in REF_PREFIX.items() if p == prefix), prefix)


def change_data(c: Change) -> dict[str, Any]:
    return {
        "ref": c.ref,
        "kind": c.kind,
        "action": c.action,
        "file": c.file,
        "risk": c.level,
        "from_version": c.old_version,
        "to_version": c.new_version,
        "owner": c.owner,
        "approver": c.approver,
        "gates": c.gates,
        "risks": [
            {"level": r.level, "direction": r.direction, "message": r.message} for r in c.risks
        ],
    }


def plan_data(plan: Plan) -> dict[str, Any]:
    """The plan as data: `plan --format json` and the saved plan (`-o`), which apply reads
    back (`SavedPlan.from_data`). One source of the format."""
    return {
        "kind": "plan",
        "plan_format": PLAN_FORMAT,
        "verdict": plan.verdict(),
        "env": plan.env,
        "after": plan.after,
        "made_from": {
            "rev": plan.rev,
            "commit": plan.commit,
            "tree": plan.tree,
            "position": plan.position.as_dict(),
            "deployment": plan.deployment,
        },
        "counts": {
            "add": plan.count("create"),
            "change": plan.count("update"),
            "destroy": plan.count("delete"),
            "unchanged": plan.unchanged,
        },
        "changes": [change_data(c) for c in plan.changes],
        "gates": [g.as_dict() for g in plan.gates],
        "approvals": [n.as_dict() for n in plan.needs],
        "notes": plan.notes,
        "versions": plan.versions,
        "digest": plan.digest,
    }


@dataclass
class SavedPlan:
    """A plan read back from its file: what apply checks and records."""

    env: str
    rev: str | None
    commit: str | None
    tree: str | None
    position: Position
    deployment: str | None
    changes: list[tuple[str, str, str | None, str | None]]  # ref, action, from, to
    gates: list[Gate]
    needs: list[Need]
    versions: dict[str, str]
    digest: str

    @classmethod
    def from_data(cls, d: Mapping[str, Any]) -> SavedPlan:
        """Raises KeyError, TypeError or ValueError on a document that is not a plan."""
        if d.get("kind") != "plan" or d.get("plan_format") != PLAN_FORMAT:
            raise ValueError("not a saved plan of this agentctl (kind: plan, plan_format 1)")
        made = d["made_from"]
        pos = made["position"]
        return cls(
            env=str(d["env"]),
            rev=made.get("rev"),
            commit=made.get("commit"),
            tree=made.get("tree"),
            position=Position(int(pos["seq"]), str(pos["hash"])),
            deployment=made.get("deployment"),
            changes=[
                (c["ref"], c["action"], c.get("from_version"), c.get("to_version"))
                for c in d["changes"]
            ],
            gates=[Gate.from_dict(g) for g in d["gates"]],
            needs=[Need.from_dict(n) for n in d["approvals"]],
            versions={str(k): str(v) for k, v in d["versions"].items()},
            digest=str(d["digest"]),
        )

    def same_as(self, plan: Plan) -> bool:
        return self.digest == plan.digest
