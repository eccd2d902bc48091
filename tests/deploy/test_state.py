"""Environments and the applied state read from the ledger (agentctl/deploy/state.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support import write

from agentctl.deploy import state
from agentctl.deploy.state import Desired, Position, StaleStateError
from agentctl.ledger.record import LedgerEvent, new_span_id, new_trace_id
from agentctl.ledger.store import Ledger
from agentctl.ledger.verify import verify
from agentctl.model.kinds import WorkspaceSpec
from agentctl.workspace.loader import load_workspace

T1 = "2026-11-01T10:00:00.000000Z"
T2 = "2026-11-02T10:00:00.000000Z"
T3 = "2026-11-03T10:00:00.000000Z"


def _settings(**spec: object) -> WorkspaceSpec:
    return WorkspaceSpec.model_validate(spec, strict=False)


def test_one_default_environment_when_none_is_declared() -> None:
    envs = state.environments(WorkspaceSpec())
    assert list(envs) == ["default"]
    assert state.environment(WorkspaceSpec(), None).name == "default"


def test_a_list_of_environments_and_a_map_with_a_promotion_order() -> None:
    listed = _settings(environments=["staging", "prod"])
    assert list(state.environments(listed)) == ["staging", "prod"]
    mapped = _settings(environments={"staging": {}, "prod": {"after": "staging"}})
    envs = state.environments(mapped)
    assert envs["prod"].after == "staging" and envs["staging"].after is None
    assert state.environment(mapped, "prod").after == "staging"


def test_several_environments_need_env_and_an_unknown_one_is_refused() -> None:
    from agentctl.errors import UsageError

    listed = _settings(environments=["staging", "prod"])
    with pytest.raises(UsageError, match="name one with --env"):
        state.environment(listed, None)
    with pytest.raises(UsageError, match="no environment 'qa'") as exc:
        state.environment(listed, "qa")
    assert exc.value.hint is not None and "staging, prod" in exc.value.hint


def test_a_promotion_to_an_undeclared_environment_is_a_finding_with_a_place(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "agentctl.yaml",
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: w}\nspec:\n"
        "  environments:\n    prod: {after: stagin}\n",
    )
    result = load_workspace(tmp_path, None)
    errors = [f for f in result.findings if f.severity.value == "error"]
    assert errors and "'stagin' is not a declared environment" in errors[0].message
    assert errors[0].location.file == "agentctl.yaml" and errors[0].location.line >= 1


def test_a_promotion_loop_is_refused() -> None:
    with pytest.raises(ValueError, match="loops"):
        _settings(environments={"a": {"after": "b"}, "b": {"after": "a"}})


def test_applied_state_before_any_deployment_is_empty(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        got = state.applied(ledger, "prod")
    assert got.resources == {} and got.position == Position() and got.deployment is None


def _deploy(
    ledger: Ledger, env: str, versions: dict[str, str], at: Position, ts: str
) -> state.Deployment:
    return state.record(
        ledger, env, Desired(versions, "c" * 40, "t" * 40), expected=at, ts=ts, by="ana@example.com"
    )


def test_a_deployment_is_read_back_per_resource_with_since_by_and_id(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        first = _deploy(
            ledger, "prod", {"charter/a": "sha256:1", "policy/p": "sha256:2"}, Position(), T1
        )
        got = state.applied(ledger, "prod")
        assert got.position == first.position and got.position.seq == 1
        assert got.versions() == {"charter/a": "sha256:1", "policy/p": "sha256:2"}
        a = got.resources["charter/a"]
        assert (a.since, a.by, a.deployment, a.commit) == (
            T1,
            "ana@example.com",
            first.id,
            "c" * 40,
        )
        assert first.id.startswith("dep-") and len(first.id) == 12
        assert first.changes == ["charter/a", "policy/p"]
        # the next deployment changes one resource and deletes the other
        second = _deploy(ledger, "prod", {"charter/a": "sha256:9"}, got.position, T2)
        got = state.applied(ledger, "prod")
        assert got.versions() == {"charter/a": "sha256:9"}
        assert got.resources["charter/a"].since == T2
        assert second.changes == ["charter/a", "policy/p"]
        # unchanged resources keep when and by which deployment they arrived
        _deploy(ledger, "prod", {"charter/a": "sha256:9", "role/r": "sha256:3"}, got.position, T3)
        got = state.applied(ledger, "prod")
        assert got.resources["charter/a"].since == T2
        assert got.resources["charter/a"].deployment == second.id
        # another environment is untouched
        assert state.applied(ledger, "staging").resources == {}
        assert [d.id for d in state.history(ledger, "prod")][1:] == [second.id, first.id]
        found = state.find(ledger, first.id)
        assert found is not None and found.seq == first.seq
        assert state.find(ledger, "dep-zzzzzzzz") is None and state.find(ledger, "x") is None
        span = ledger.conn.execute("SELECT span_id FROM events WHERE seq = 1").fetchone()[0]
        assert span.startswith(first.id[4:])  # the id is found on a column, not in attrs
        assert verify(ledger).ok


def test_a_deployment_on_a_moved_state_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        _deploy(ledger, "prod", {"charter/a": "sha256:1"}, Position(), T1)
        before = ledger.count()
        with pytest.raises(StaleStateError, match="moved since the plan was made"):
            _deploy(ledger, "prod", {"charter/a": "sha256:2"}, Position(), T2)
        assert ledger.count() == before
        assert state.applied(ledger, "prod").versions() == {"charter/a": "sha256:1"}


def test_extra_events_commit_with_the_deployment_or_not_at_all(tmp_path: Path) -> None:
    def note(conn: sqlite3.Connection, dep_id: str) -> list[LedgerEvent]:
        return [
            LedgerEvent(
                kind="approval_used",
                trace_id=new_trace_id(),
                span_id=new_span_id(),
                parent_span_id=None,
                ts=T1,
                principal="apr-00000000",
                attrs={"by": dep_id},
            )
        ]

    def refuse(conn: sqlite3.Connection, dep_id: str) -> list[LedgerEvent]:
        raise StaleStateError("no")

    with Ledger.open(tmp_path / "l.db") as ledger:
        with pytest.raises(StaleStateError):
            state.record(
                ledger,
                "prod",
                Desired({"charter/a": "sha256:1"}, None),
                expected=Position(),
                ts=T1,
                by="x",
                extra=refuse,
            )
        assert ledger.count() == 0
        dep = state.record(
            ledger,
            "prod",
            Desired({"charter/a": "sha256:1"}, None),
            expected=Position(),
            ts=T1,
            by="x",
            extra=note,
        )
        assert ledger.count() == 2
        row = ledger.conn.execute("SELECT attrs FROM events WHERE seq = 2").fetchone()
        assert dep.id in row[0]


def test_reading_the_applied_state_uses_the_principal_index(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        plan = ledger.conn.execute(
            "EXPLAIN QUERY PLAN " + state.LAST_SQL, ("env/prod", "deployment")
        ).fetchall()
    assert any("events_principal_ts" in str(r[-1]) for r in plan), plan
