"""The one approval mechanism (agentctl/approvals): requests, grants, denials and use,
in a real ledger, with every refusal writing nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support import docs, role, write

from agentctl.approvals import ApprovalError, Request, roles_of, store
from agentctl.approvals import identity as ident
from agentctl.errors import UsageError
from agentctl.ledger.record import format_ts
from agentctl.ledger.store import Ledger
from agentctl.ledger.verify import verify
from agentctl.model.kinds import RoleDoc
from agentctl.workspace.loader import load_workspace

NOW = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)
DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64


@pytest.fixture
def roles(tmp_path: Path) -> dict[str, RoleDoc]:
    write(
        tmp_path / "ws" / "roles.yaml",
        docs(
            role("ops", members=["ana@example.com", "Bob@Example.com"], reports_to="role/cto"),
            role("cto", members=["cat@example.com"], approves_usd=10000),
            role("finance", members=["fin@example.com"], approves_usd=500),
        ),
    )
    write(
        tmp_path / "ws" / "agentctl.yaml",
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: w}\n",
    )
    result = load_workspace(tmp_path / "ws", None)
    assert not result.findings
    return roles_of(result.workspace)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger.open(tmp_path / "ledger.db")


def _request(ledger: Ledger, **over: object) -> Request:
    fields: dict[str, object] = {
        "id": store.new_id(),
        "subject_kind": "deployment",
        "subject": "charter/a in prod",
        "digest": DIGEST,
        "role": "role/ops",
        "requested_by": "dev@example.com",
        "requested_at": format_ts(NOW),
        "authors": ("dev@example.com",),
        "env": "prod",
    }
    fields.update(over)
    return store.request(ledger, Request(**fields))  # type: ignore[arg-type]


def test_a_member_grants_and_one_use_consumes_it(ledger: Ledger, roles: dict[str, RoleDoc]) -> None:
    req = _request(ledger)
    assert req.id.startswith("apr-") and len(req.id) == 12
    assert store.get(ledger.conn, req.id) is not None
    got = store.grant(ledger, req.id, roles, "role/ops", "bob@example.com", reason="ok", now=NOW)
    assert got.status(NOW) == "granted" and got.grant is not None
    store.use(ledger, req.id, DIGEST, by="dep-12345678", identity="ci", now=NOW)
    after = store.get(ledger.conn, req.id)
    assert after is not None and after.status(NOW) == "used" and after.use is not None
    assert after.use.by == "dep-12345678"
    kinds = [r[0] for r in ledger.conn.execute("SELECT kind FROM events ORDER BY seq")]
    assert kinds == ["approval_request", "approval_granted", "approval_used"]
    assert verify(ledger).ok


def _refused(ledger: Ledger, match: str, call: object) -> ApprovalError:
    before = ledger.count()
    with pytest.raises(ApprovalError, match=match) as exc:
        call()  # type: ignore[operator]
    assert ledger.count() == before, "a refusal writes nothing"
    assert exc.value.hint
    return exc.value


def test_a_non_member_is_refused(ledger: Ledger, roles: dict[str, RoleDoc]) -> None:
    req = _request(ledger)
    err = _refused(
        ledger,
        "eve@example.com is not a member of role/ops",
        lambda: store.grant(
            ledger, req.id, roles, "role/ops", "eve@example.com", reason="", now=NOW
        ),
    )
    assert "spec.members" in (err.hint or "")


def test_the_author_of_the_change_cannot_approve_it(
    ledger: Ledger, roles: dict[str, RoleDoc]
) -> None:
    req = _request(ledger, authors=("ana@example.com",))
    _refused(
        ledger,
        "authored this change .*separation of duties",
        lambda: store.grant(
            ledger, req.id, roles, "role/ops", "ANA@example.com", reason="", now=NOW
        ),
    )


def test_approving_an_older_version_is_refused(ledger: Ledger, roles: dict[str, RoleDoc]) -> None:
    req = _request(ledger)
    _refused(
        ledger,
        "approves an older version",
        lambda: store.grant(
            ledger,
            req.id,
            roles,
            "role/ops",
            "bob@example.com",
            reason="",
            now=NOW,
            current_digest=OTHER,
        ),
    )


def test_a_grant_for_another_digest_cannot_be_used(
    ledger: Ledger, roles: dict[str, RoleDoc]
) -> None:
    req = _request(ledger)
    store.grant(ledger, req.id, roles, "role/ops", "bob@example.com", reason="", now=NOW)
    _refused(
        ledger, "stale", lambda: store.use(ledger, req.id, OTHER, by="d", identity="x", now=NOW)
    )


def test_a_second_use_is_refused(ledger: Ledger, roles: dict[str, RoleDoc]) -> None:
    req = _request(ledger)
    store.grant(ledger, req.id, roles, "role/ops", "bob@example.com", reason="", now=NOW)
    store.use(ledger, req.id, DIGEST, by="d1", identity="x", now=NOW)
    _refused(
        ledger,
        "already used by d1",
        lambda: store.use(ledger, req.id, DIGEST, by="d2", identity="x", now=NOW),
    )


def test_an_expired_request_can_be_neither_granted_nor_used(
    ledger: Ledger, roles: dict[str, RoleDoc]
) -> None:
    req = _request(ledger, expires_at=format_ts(NOW + dt.timedelta(hours=1)))
    _refused(
        ledger,
        "expired",
        lambda: store.grant(
            ledger, req.id, roles, "role/ops", "bob@example.com", reason="", now=LATER
        ),
    )
    granted = _request(ledger, expires_at=format_ts(NOW + dt.timedelta(hours=1)))
    store.grant(ledger, granted.id, roles, "role/ops", "bob@example.com", reason="", now=NOW)
    _refused(
        ledger,
        "expired",
        lambda: store.use(ledger, granted.id, DIGEST, by="d", identity="x", now=LATER),
    )


def test_a_denied_request_stays_denied(ledger: Ledger, roles: dict[str, RoleDoc]) -> None:
    req = _request(ledger)
    denied = store.deny(ledger, req.id, roles, "role/ops", "ana@example.com", reason="no", now=NOW)
    assert denied.status(NOW) == "denied"
    _refused(
        ledger,
        "was denied by ana@example.com",
        lambda: store.grant(
            ledger, req.id, roles, "role/ops", "bob@example.com", reason="", now=NOW
        ),
    )
    _refused(
        ledger,
        "is denied",
        lambda: store.use(ledger, req.id, DIGEST, by="d", identity="x", now=NOW),
    )


def test_a_non_member_cannot_deny(ledger: Ledger, roles: dict[str, RoleDoc]) -> None:
    req = _request(ledger)
    _refused(
        ledger,
        "not a member",
        lambda: store.deny(
            ledger, req.id, roles, "role/ops", "eve@example.com", reason="", now=NOW
        ),
    )


def test_the_wrong_role_is_refused_and_a_role_above_may_approve(
    ledger: Ledger, roles: dict[str, RoleDoc]
) -> None:
    req = _request(ledger)
    _refused(
        ledger,
        "needs role/ops, not role/finance",
        lambda: store.grant(
            ledger, req.id, roles, "role/finance", "fin@example.com", reason="", now=NOW
        ),
    )
    got = store.grant(ledger, req.id, roles, "role/cto", "cat@example.com", reason="", now=NOW)
    assert got.grant is not None and got.grant.role == "role/cto"


def test_a_decision_above_the_roles_limit_is_refused(
    ledger: Ledger, roles: dict[str, RoleDoc]
) -> None:
    req = _request(
        ledger, subject_kind="decision", role="role/finance", value_usd="750.00", authors=()
    )
    err = _refused(
        ledger,
        r"role/finance may approve up to \$500",
        lambda: store.grant(
            ledger, req.id, roles, "role/finance", "fin@example.com", reason="", now=NOW
        ),
    )
    assert "raise approves.max_usd" in (err.hint or "")
    small = _request(
        ledger, subject_kind="decision", role="role/finance", value_usd="499.99", authors=()
    )
    assert store.grant(
        ledger, small.id, roles, "role/finance", "fin@example.com", reason="", now=NOW
    ).grant


def test_an_unknown_request_is_refused(ledger: Ledger, roles: dict[str, RoleDoc]) -> None:
    _refused(
        ledger,
        "no approval request 'apr-00000000'",
        lambda: store.grant(
            ledger, "apr-00000000", roles, "role/ops", "bob@example.com", reason="", now=NOW
        ),
    )


def test_every_lists_requests_with_their_state(ledger: Ledger, roles: dict[str, RoleDoc]) -> None:
    a = _request(ledger)
    b = _request(ledger, digest=OTHER)
    store.grant(ledger, b.id, roles, "role/ops", "bob@example.com", reason="", now=NOW)
    got = {x.id: x.status(NOW) for x in store.every(ledger.conn)}
    assert got == {a.id: "pending", b.id: "granted"}
    assert [x.id for x in store.matching(store.every(ledger.conn), "deployment", OTHER)] == [b.id]


def test_identity_comes_from_by_then_the_ci_actor_then_git() -> None:
    ci = {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octocat"}
    assert ident.resolve("  me  ", ci, "git@example.com") == "me"
    assert ident.resolve(None, ci, "git@example.com") == "octocat"
    assert ident.resolve(None, {"GITHUB_ACTOR": "octocat"}, "git@example.com") == "git@example.com"
    assert ident.resolve(None, {"CI": "true", "GITHUB_ACTOR": "octocat"}, None) == "octocat"
    with pytest.raises(UsageError, match="cannot tell who you are"):
        ident.resolve(None, {}, None)


def test_identity_reads_git_user_email(git_repo: Path) -> None:
    assert ident.identity(None, {}, git_repo) == "committer@example.com"


def test_the_environment_cannot_pin_the_clock_of_an_approval(
    tmp_path: Path, ledger: Ledger, roles: dict[str, RoleDoc]
) -> None:
    """AGENTCTL_NOW pins read-only reports, never an approval: a request that expired in
    real time stays expired for `agentctl approve` however the variable is set."""
    import os
    import subprocess
    import sys

    req = _request(ledger, expires_at=format_ts(NOW + dt.timedelta(hours=1)), env="default")
    ledger.close()
    env = {**os.environ, "AGENTCTL_NOW": "2026-11-01T10:30:00Z"}
    r = subprocess.run(
        [sys.executable, "-m", "agentctl", "approve", req.id, "-w", str(tmp_path / "ws"),
         "--ledger", str(tmp_path / "ledger.db"), "--as", "role/ops", "--by", "bob@example.com"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert r.returncode != 0 and "expired" in (r.stdout + r.stderr), r.stdout + r.stderr
    with Ledger.open(tmp_path / "ledger.db") as led:
        assert not led.conn.execute(
            "SELECT 1 FROM events WHERE kind = 'approval_granted'"
        ).fetchall()
