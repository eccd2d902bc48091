"""Helpers shared by the tests (import as `from support import ...`; tests/ is on the
pytest pythonpath). Fixtures live in conftest.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def agentctl_bin() -> str:
    """The installed console script, for end-to-end tests."""
    exe = Path(sys.executable).parent / "agentctl"
    return str(exe) if exe.exists() else "agentctl"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- builders for the documents and ledger events many tests repeat -------------------


def doc(
    kind: str, name: str, spec: dict[str, Any] | None = None, *, owner: str | None = None
) -> str:
    """One agentctl document as YAML text (JSON is YAML, and needs no quoting rules)."""
    metadata: dict[str, Any] = {"name": name}
    if owner is not None:
        metadata["owner"] = owner
    body: dict[str, Any] = {"apiVersion": "agentctl/v1", "kind": kind, "metadata": metadata}
    if spec is not None:
        body["spec"] = spec
    return json.dumps(body) + "\n"


def docs(*texts: str) -> str:
    """Several documents in one YAML file."""
    return "---\n".join(texts)


def role(
    name: str,
    *,
    approves_usd: float | None = None,
    reports_to: str | None = None,
    members: list[str] | None = None,
) -> str:
    spec: dict[str, Any] = {}
    if members is not None:
        spec["members"] = members
    if approves_usd is not None:
        spec["approves"] = {"max_usd": approves_usd}
    if reports_to is not None:
        spec["reports_to"] = reports_to
    return doc("Role", name, spec or None)


# store-manager approves up to $5,000 and reports to finance-director ($250,000): the
# approvals graph the engine and simulate tests climb
APPROVAL_ROLES = docs(
    role("store-manager", approves_usd=5000, reports_to="role/finance-director"),
    role("finance-director", approves_usd=250000),
)


def contract(
    name: str,
    consumer: str = "charter/asker",
    provider: str = "charter/helper",
    *,
    scopes: tuple[str, ...] = ("sys.read",),
    owner: str = "role/ops",
    valid: tuple[str, str] | None = ("2026-01-01", "2026-12-31"),
    **spec: Any,
) -> str:
    """A Contract; `spec` adds cost_ceiling, sla, on_breach... as the YAML keys."""
    body: dict[str, Any] = {"consumer": consumer, "provider": provider, "scopes": list(scopes)}
    if valid is not None:
        body["valid"] = {"from": valid[0], "until": valid[1]}
    body.update(spec)
    return doc("Contract", name, body, owner=owner)


LEDGER_T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def ledger_ts(seconds: float) -> str:
    """The ledger's timestamp `seconds` after LEDGER_T0."""
    from agentctl.ledger import format_ts

    return format_ts(LEDGER_T0 + dt.timedelta(seconds=seconds))


def tid(n: int) -> str:
    """A W3C trace id (32 hex) made from n."""
    return f"{n:032x}"


def sid(n: int) -> str:
    """A W3C span id (16 hex) made from n."""
    return f"{n:016x}"


def ledger_event(
    kind: str = "tool_call",
    *,
    trace: int = 1,
    span: int = 1,
    at: float = 0.0,
    principal: str = "planner",
    parent: int | None = None,
    **fields: Any,
) -> Any:
    """A LedgerEvent with ids and time made from small numbers; `fields` sets the rest
    (operation, input, output, data_classes, cost_usd, attrs, status...) or overrides."""
    from agentctl.ledger import LedgerEvent

    base: dict[str, Any] = {
        "kind": kind,
        "trace_id": tid(trace),
        "span_id": sid(span),
        "parent_span_id": sid(parent) if parent is not None else None,
        "ts": ledger_ts(at),
        "principal": principal,
    }
    return LedgerEvent(**{**base, **fields})  # fields may replace any of them (bad ids)
