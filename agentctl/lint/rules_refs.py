"""References: every `kind/name` and every scope must resolve to something that exists."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from agentctl.findings import Finding, Severity
from agentctl.lint.registry import LintContext, finding, rule
from agentctl.model.index import Resource, Workspace
from agentctl.model.permissions import covers, effective_permissions
from agentctl.workspace.paths import PathRefused, named

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def _suggest(ref: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(ref, candidates, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _names(ws: Workspace, kind: str) -> list[str]:
    prefix = kind.lower()
    return sorted(f"{prefix}/{n}" for n in ws.by_kind.get(kind, {}))


@rule(
    "duplicate-name",
    E,
    "Two resources of one kind share a name.",
    """
Names are unique per kind: references like `charter/intake` must point at exactly one
resource. The first definition wins; rename or remove the other.
""",
)
def duplicate_name(ctx: LintContext) -> Iterator[Finding]:
    for first, again in ctx.workspace.duplicates:
        yield finding(
            "duplicate-name",
            again,
            ("metadata", "name"),
            f"{again.ref} is already defined in {first.file}:{first.location('metadata').line}",
            "rename one of them; names are unique per kind",
        )


@rule(
    "owner-missing",
    E,
    "A resource without a human owner.",
    """
Every resource except a Role has `metadata.owner: role/NAME`: the humans answerable for
it. Reviews, escalations and permission reviews go to the owner.
""",
)
def owner_missing(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.resources:
        if res.kind not in ("Role", "Scenario") and res.doc.metadata.owner is None:
            yield finding(
                "owner-missing",
                res,
                ("metadata",),
                f"{res.ref} has no owner",
                "add 'owner: role/NAME' under metadata",
                key=True,  # the key line: the mapping as a whole is at fault
            )


def _role_refs(res: Resource[Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(key path, reference) of every place in `res` that must name a Role."""
    if res.doc.metadata.owner:
        yield ("metadata", "owner"), res.doc.metadata.owner
    spec: Any = getattr(res.doc, "spec", None)
    if res.kind == "Role" and spec.reports_to:
        yield ("spec", "reports_to"), spec.reports_to
    elif res.kind == "Charter":
        for i, r in enumerate(spec.escalation):
            yield ("spec", "escalation", i), r
    elif res.kind == "Policy":
        for i, a in enumerate(spec.actions):
            if a.escalate:
                yield ("spec", "actions", i, "escalate"), a.escalate
        for i, ap in enumerate(spec.approvals):
            yield ("spec", "approvals", i, "require"), ap.require
    elif res.kind == "Contract" and spec.on_breach.escalate:
        yield ("spec", "on_breach", "escalate"), spec.on_breach.escalate


@rule(
    "unknown-role",
    E,
    "An owner, approver or escalation target that is not a Role.",
    """
Owners, approvers (`require:`), escalation targets and `reports_to` name Roles. A
reference to a Role that does not exist would route an approval or an escalation to nobody.
""",
)
def unknown_role(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    roles = _names(ws, "Role")
    for res in ws.resources:
        for path, ref in _role_refs(res):
            if ws.missing(ref) and ws.role(ref) is None:
                yield finding(
                    "unknown-role",
                    res,
                    path,
                    f"{ref} does not exist",
                    _suggest(ref, roles) or "define the Role, or name an existing one",
                )


def _charter_refs(res: Resource[Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    spec: Any = getattr(res.doc, "spec", None)
    if res.kind == "Policy":
        for i, a in enumerate(spec.actions):
            if a.invoke:
                yield ("spec", "actions", i, "invoke"), a.invoke
    elif res.kind == "Contract":
        yield ("spec", "consumer"), spec.consumer
        yield ("spec", "provider"), spec.provider
    elif res.kind == "EvalSuite":
        yield ("spec", "charter"), spec.charter


@rule(
    "unknown-charter",
    E,
    "A policy action, contract or eval suite names a Charter that does not exist.",
    """
Policies invoke charters, contracts bind two charters, eval suites test one. Each of those
references must resolve, or the policy fires into nothing and the gate tests nothing.
""",
)
def unknown_charter(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    charters = _names(ws, "Charter")
    for res in ws.resources:
        for path, ref in _charter_refs(res):
            if ws.missing(ref) and ws.charter(ref) is None:
                yield finding(
                    "unknown-charter",
                    res,
                    path,
                    f"{ref} does not exist",
                    _suggest(ref, charters) or "define the Charter, or name an existing one",
                )


@rule(
    "unknown-scope",
    E,
    "A charter is granted a scope that no Connector offers.",
    """
A charter's `tools` grants scopes (`inventory.read`), a connector's operation
(`inventory.get_stock`) or a whole connector (`inventory.*`). A grant that matches no
operation is a typo or a connector that was removed; either way the agent cannot use it.
""",
)
def unknown_scope(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    known = ws.known_scopes()
    for res in ws.charters:
        for i, scope in enumerate(res.doc.spec.tools):
            # a connector that failed validation already has its own finding
            if not ws.operations_for(scope) and f"connector/{scope.split('.')[0]}" not in ws.broken:
                yield finding(
                    "unknown-scope",
                    res,
                    ("spec", "tools", i),
                    f"no connector offers the scope {scope!r}",
                    _suggest(scope, known) or "add the operation to a Connector",
                )


@rule(
    "unknown-suite",
    E,
    "A gate names an EvalSuite that does not exist.",
    "A charter's gates name eval suites; a missing suite means a gate that can never pass.",
)
def unknown_suite(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    suites = _names(ws, "EvalSuite")
    for res in ws.charters:
        for i, gate in enumerate(res.doc.spec.gates):
            if ws.missing(gate.suite):
                yield finding(
                    "unknown-suite",
                    res,
                    ("spec", "gates", i, "suite"),
                    f"{gate.suite} does not exist",
                    _suggest(gate.suite, suites) or "define the EvalSuite",
                )


@rule(
    "gate-suite-mismatch",
    E,
    "A gate names a suite that tests another charter.",
    """
A gate only means something if the suite exercises this charter. A suite written for
another agent passes or fails regardless of this one's behaviour.
""",
)
def gate_suite_mismatch(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.charters:
        for i, gate in enumerate(res.doc.spec.gates):
            suite = ws.get(gate.suite)
            if suite is not None and suite.doc.spec.charter != res.ref:
                yield finding(
                    "gate-suite-mismatch",
                    res,
                    ("spec", "gates", i, "suite"),
                    f"{gate.suite} tests {suite.doc.spec.charter}, not {res.ref}",
                    "gate on a suite whose spec.charter is this charter",
                )


@rule(
    "contract-scope-not-held",
    E,
    "A contract covers a scope its provider is not granted.",
    """
A contract promises that the provider will serve requests in its scopes. If the provider's
charter does not grant a scope, every such request would be denied by the guard.
""",
)
def contract_scope_not_held(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.contracts:
        provider = ws.charter(res.doc.spec.provider)
        if provider is None:
            continue
        held = effective_permissions(ws, provider.doc)
        for i, scope in enumerate(res.doc.spec.scopes):
            if not ws.operations_for(scope) or covers(held, scope, ws):
                yield finding(
                    "contract-scope-not-held",
                    res,
                    ("spec", "scopes", i),
                    f"{provider.ref} is not granted {scope!r}",
                    f"grant {scope!r} in {provider.file}, or remove it from the contract",
                )


@rule(
    "self-contract",
    E,
    "A contract whose consumer is its provider.",
    "An agent does not need a contract with itself; name two different charters.",
)
def self_contract(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.contracts:
        if res.doc.spec.consumer == res.doc.spec.provider:
            yield finding(
                "self-contract",
                res,
                ("spec", "provider"),
                f"{res.ref} binds {res.doc.spec.provider} to itself",
                "a contract binds two different charters",
            )


def _files_of(res: Resource[Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    spec: Any = getattr(res.doc, "spec", None)
    if res.kind == "EvalSuite" and spec.cases_file:
        yield ("spec", "cases_file"), spec.cases_file
    elif res.kind == "Scenario":
        yield ("spec", "events"), spec.events
    elif res.kind == "Connector" and spec.transport.fixture:
        yield ("spec", "transport", "fixture"), spec.transport.fixture


def resolve_path(res: Resource[Any], rel: str) -> str:
    """A path written in a resource: relative to the resource's own file. Raises
    PathRefused for one that leaves the workspace (agentctl.workspace.paths)."""
    return named(res.file, rel)


@rule(
    "file-missing",
    E,
    "A referenced file (cases, events, fixture) does not exist.",
    """
Eval cases files, scenario event streams and connector fixtures are paths relative to the
YAML file that names them. A missing file fails the eval or the simulation at run time.
""",
)
def file_missing(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.resources:
        for path, rel in _files_of(res):
            try:
                full = resolve_path(res, rel)
            except PathRefused as exc:
                yield finding(
                    "path-outside",
                    res,
                    path,
                    f"{exc}: it is not read",
                    "keep every file the workspace uses inside it, named relative to this file",
                )
                continue
            if full not in ws.paths:
                yield finding(
                    "file-missing",
                    res,
                    path,
                    f"{rel!r} does not exist (looked for {full})",
                    "paths are relative to the file that names them",
                )


@rule(
    "escalation-cycle",
    E,
    "Roles whose `reports_to` chain loops.",
    """
Approvals escalate up `reports_to` until a role may approve the amount. A loop means an
approval that can never find its approver.
""",
)
def escalation_cycle(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    reported: set[str] = set()
    for res in ws.roles:
        seen = [res.ref]
        cur = res
        while cur.doc.spec.reports_to:
            nxt = ws.role(cur.doc.spec.reports_to)
            if nxt is None:
                break
            if nxt.ref in seen:
                loop = seen[seen.index(nxt.ref) :]
                key = min(loop)
                if key not in reported:
                    reported.add(key)
                    yield finding(
                        "escalation-cycle",
                        res,
                        ("spec", "reports_to"),
                        "reports_to loops: " + " -> ".join([*loop, nxt.ref]),
                        "one role in the chain must report to nobody, or outside the loop",
                    )
                break
            seen.append(nxt.ref)
            cur = nxt


@rule(
    "paused-charter-invoked",
    W,
    "A policy invokes a paused charter.",
    """
A paused charter refuses to run, so a policy action that invokes it will fail every time
it fires. Unpause the charter or change the action while it is paused.
""",
)
def paused_invoked(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.policies:
        for i, a in enumerate(res.doc.spec.actions):
            ch = ws.charter(a.invoke) if a.invoke else None
            if ch is not None and ch.doc.spec.paused:
                yield finding(
                    "paused-charter-invoked",
                    res,
                    ("spec", "actions", i, "invoke"),
                    f"{ch.ref} is paused: this action will be refused",
                )


@rule(
    "gate-loosens-threshold",
    E,
    "A charter's gate is looser than its suite's thresholds.",
    """
One meaning for thresholds: a suite's `thresholds` are the gate, and a charter's `gates:`
entry may only tighten them (a higher `min_pass_rate`, a lower `max_p95_latency` or
`max_cost_per_case_usd`). A looser gate would say the charter may deploy with results
the suite's owner called failing; `agentctl eval` applies the tighter value either way.
Remove the entry's value to inherit the suite's, or change the suite.
""",
    "evals",
)
def gate_loosens_threshold(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.charters:
        for i, gate in enumerate(res.doc.spec.gates):
            suite = ws.get(gate.suite)
            if suite is None:
                continue
            t = suite.doc.spec.thresholds
            loose: list[tuple[str, str]] = []
            if gate.min_pass_rate is not None and gate.min_pass_rate < t.pass_rate:
                loose.append(
                    ("min_pass_rate", f"min_pass_rate {gate.min_pass_rate:g} < {t.pass_rate:g}")
                )
            if (
                gate.max_p95_latency is not None
                and t.p95_latency is not None
                and gate.max_p95_latency > t.p95_latency
            ):
                loose.append(("max_p95_latency", "max_p95_latency is above p95_latency"))
            if (
                gate.max_cost_per_case_usd is not None
                and t.cost_per_case_usd is not None
                and gate.max_cost_per_case_usd > t.cost_per_case_usd
            ):
                loose.append(
                    ("max_cost_per_case_usd", "max_cost_per_case_usd is above cost_per_case_usd")
                )
            for key, what in loose:
                yield finding(
                    "gate-loosens-threshold",
                    res,
                    ("spec", "gates", i, key),
                    f"the gate on {gate.suite} loosens its thresholds: {what}",
                    f"a gate may only tighten the suite's thresholds; remove {key} to inherit them",
                )
