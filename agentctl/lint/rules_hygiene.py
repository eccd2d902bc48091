"""Least privilege and tidiness: gates on risky grants, data classes, unused resources."""

from __future__ import annotations

import re
from collections.abc import Iterator

from agentctl.findings import Finding, Severity
from agentctl.lint.registry import LintContext, finding, rule
from agentctl.lint.rules_refs import _charter_refs, _role_refs
from agentctl.workspace.cases import suite_cases

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@rule(
    "write-without-gate",
    E,
    "A charter with a write or destructive scope and no eval gate.",
    """
An agent that can change the world (create orders, refund money, delete records) must pass
an eval suite before it is deployed. Add a gate naming a suite that tests this charter.
""",
    "privilege",
)
def write_without_gate(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.charters:
        if res.doc.spec.gates:
            continue
        risky = [o for o in ws.granted_operations(res.doc) if o.op.effect != "read"]
        if risky:
            names = ", ".join(f"{o.qualified} ({o.op.effect})" for o in risky[:3])
            yield finding(
                "write-without-gate",
                res,
                ("spec", "tools"),
                f"{res.ref} may call {names} but has no eval gate",
                "add spec.gates with a suite that tests this charter",
            )


@rule(
    "data-class-violation",
    E,
    "A charter granted an operation that touches data it may not touch.",
    """
Each connector operation declares the data classes it touches (`pii.ssn`). A charter lists
the data classes it may touch. Granting an operation that touches anything else would let
the agent see data its charter forbids; the guard would deny every call anyway.
""",
    "privilege",
)
def data_class_violation(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.charters:
        allowed = set(res.doc.spec.data_classes)
        for i, scope in enumerate(res.doc.spec.tools):
            for o in ws.operations_for(scope):
                bad = [d for d in o.op.data_classes if d not in allowed]
                if bad:
                    yield finding(
                        "data-class-violation",
                        res,
                        ("spec", "tools", i),
                        f"{scope!r} opens {o.qualified}, which touches {', '.join(bad)}; "
                        f"{res.ref} may not touch it",
                        "remove the grant, or add the data class to spec.data_classes after review",
                    )


@rule(
    "unused-connector",
    W,
    "A connector no charter is granted.",
    "A connector that no charter may use is dead configuration, or a grant that was lost.",
    "hygiene",
)
def unused_connector(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    used = {o.connector.name for ch in ws.charters for o in ws.granted_operations(ch.doc)}
    for res in ws.connectors:
        if res.name not in used:
            yield finding(
                "unused-connector",
                res,
                ("metadata", "name"),
                f"no charter is granted any scope of {res.ref}",
                "grant it to a charter, or delete it",
            )


@rule(
    "unused-role",
    INFO,
    "A role nothing refers to.",
    """
A role that owns nothing, approves nothing and receives no escalation is probably left over
from a reorganisation. Harmless, but the list of who can approve what should be short.
""",
    "hygiene",
)
def unused_role(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    used = {ws.role(ref).ref for r in ws.resources for _, ref in _role_refs(r) if ws.role(ref)}  # type: ignore[union-attr]
    for res in ws.roles:
        if res.ref not in used:
            yield finding(
                "unused-role",
                res,
                ("metadata", "name"),
                f"nothing refers to {res.ref}",
                "delete it, or make it an owner, approver or escalation target",
            )


@rule(
    "charter-unreachable",
    INFO,
    "A charter that no policy, contract or eval suite refers to.",
    "Nothing invokes, contracts with or tests this agent; it can only be run by hand.",
    "hygiene",
)
def charter_unreachable(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    used = {ref for r in ws.resources for _, ref in _charter_refs(r)}
    for res in ws.charters:
        if res.ref not in used:
            yield finding(
                "charter-unreachable",
                res,
                ("metadata", "name"),
                f"nothing invokes, contracts with or tests {res.ref}",
            )


@rule(
    "suite-empty",
    W,
    "An eval suite without cases.",
    "A suite with no cases passes vacuously: a gate on it proves nothing.",
    "evals",
)
def suite_empty(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.suites:
        if not res.doc.spec.cases and not res.doc.spec.cases_file:
            yield finding(
                "suite-empty",
                res,
                ("spec",),
                f"{res.ref} has no cases",
                "add spec.cases or spec.cases_file",
                key=True,  # the key line: the mapping as a whole is at fault
            )


@rule(
    "duplicate-case-id",
    E,
    "Two cases of one suite share an id.",
    "Case ids name results in reports and recordings; they must be unique within a suite.",
    "evals",
)
def duplicate_case_id(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.suites:
        seen: dict[str, str] = {}
        for site in suite_cases(ctx.workspace, res):
            case = site.case
            if case.id in seen:
                yield Finding(
                    "duplicate-case-id",
                    Severity.ERROR,
                    f"case id {case.id!r} is used twice (first at {seen[case.id]})",
                    site.locate("id"),
                    "give each case of a suite its own id",
                    resource=res.ref,
                )
            else:
                seen[case.id] = site.where


@rule(
    "expect-denial-unknown",
    W,
    "A red-team case expects the denial of a scope or data class that does not exist.",
    """
`expect_denial` names what the guard must refuse: a scope or a data class. If nothing by
that name exists, the case passes for the wrong reason (the call fails as unknown, not as
denied).
""",
    "evals",
)
def expect_denial_unknown(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    known = set(ws.known_scopes())
    classes = {
        d for c in ws.connectors for o in c.doc.spec.operations.values() for d in o.data_classes
    }
    for res in ws.suites:
        for site in suite_cases(ws, res):
            for j, what in enumerate(site.case.expect_denial):
                if what not in known and what not in classes:
                    yield Finding(
                        "expect-denial-unknown",
                        Severity.WARNING,
                        f"{what!r} is neither a scope nor a data class of any connector",
                        site.locate("expect_denial", j),
                        resource=res.ref,
                    )


@rule(
    "no-escalation",
    W,
    "A charter with write access and no escalation path.",
    """
When an agent that can change things gets stuck or is denied, someone must hear about it.
`spec.escalation` lists the roles to notify, in order.
""",
    "privilege",
)
def no_escalation(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.charters:
        if res.doc.spec.escalation:
            continue
        if any(o.op.effect != "read" for o in ws.granted_operations(res.doc)):
            yield finding(
                "no-escalation",
                res,
                ("spec",),
                f"{res.ref} can write but has no escalation path",
                "add spec.escalation: [role/NAME, ...]",
                key=True,  # the key line: the mapping as a whole is at fault
            )


@rule(
    "invariant-unchecked",
    W,
    "A case tagged `invariant` has no assertion that reads only `trace`.",
    """
`agentctl eval --from-ledger` judges a suite's invariants over the charter's real runs:
the assertions of its cases tagged `invariant` whose only variable is `trace`
(docs/evals.md, "Evaluation in production"). A tagged case whose assertions all read
`input` or `output` contributes nothing there. Add the trace assertion the tag promises,
or drop the tag.
""",
    "evals",
)
def invariant_unchecked(ctx: LintContext) -> Iterator[Finding]:
    from agentctl.evals.production import TAG, reads_only_trace

    ws = ctx.workspace
    for res in ws.suites:
        for site in suite_cases(ws, res):
            case = site.case
            if TAG in case.tags and not any(reads_only_trace(a) for a in case.assert_):
                yield Finding(
                    "invariant-unchecked",
                    Severity.WARNING,
                    f"case {case.id!r} is tagged {TAG!r} but no assertion of it reads only "
                    "trace: --from-ledger checks nothing of it",
                    site.locate("tags"),
                    "add an assertion over trace alone, or drop the tag",
                    resource=res.ref,
                )


@rule(
    "cassette-missing",
    E,
    "A case of a suite in `recording.mode: replay` has no cassette.",
    """
In replay mode a case's connectors and model answer from its cassette,
`<recording.dir>/<case id>.json` (docs/evals.md, "Recordings"); a case without one is an
error in `agentctl eval`. Record it (`agentctl eval SUITE --case ID --record`) and commit
the file, or use `mode: auto`, which runs a case that has no cassette live.
""",
    "evals",
)
def cassette_missing(ctx: LintContext) -> Iterator[Finding]:
    from agentctl.errors import ConfigError
    from agentctl.evals.cassette import REPLAY, file_name, folder

    ws = ctx.workspace
    for res in ws.suites:
        rec = res.doc.spec.recording
        if rec.mode != REPLAY:
            continue
        try:
            base = folder(res.file, res.name, rec.dir)
        except ConfigError:
            continue  # a dir outside the workspace: eval refuses it at its place
        for site in suite_cases(ws, res):
            rel = f"{base}/{file_name(site.case.id)}"
            if rel not in ws.paths:
                yield Finding(
                    "cassette-missing",
                    Severity.ERROR,
                    f"case {site.case.id!r} has no cassette ({rel}) and its suite replays",
                    site.locate("id"),
                    f"record it: agentctl eval {res.name} --case {site.case.id} --record",
                    resource=res.ref,
                )


@rule(
    "secret-in-config",
    E,
    "Something that looks like a credential written into a YAML file.",
    """
API keys and tokens belong in the environment: name the variable (`api_key_env`,
`auth_env`) and set it where the agent runs. A key committed to git is a key leaked.
""",
    "privilege",
)
def secret_in_config(ctx: LintContext) -> Iterator[Finding]:
    import orjson

    for res in ctx.workspace.resources:
        # One C-speed search over the whole document first; walk it only on a hit.
        try:
            blob = orjson.dumps(res.raw, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            blob = None
        if blob is not None and not _SECRET.search(blob):
            continue
        for path, value in _strings(res.raw, ()):
            if _SECRET.search(value):
                yield finding(
                    "secret-in-config",
                    res,
                    path,
                    "this value looks like an API key or token",
                    "move it to an environment variable and name the variable instead",
                )


_SECRET = re.compile(
    r"(sk-[A-Za-z0-9]{20,}|ghp_[A-Za-z0-9]{30,}|AKIA[0-9A-Z]{16}|xox[bp]-[A-Za-z0-9-]{10,})"
)


def _strings(
    node: object, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, (*path, i))
