"""Ledgers with known content, built through the public API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import LEDGER_T0, ledger_ts, sid, tid

from agentctl.ledger import Ledger, LedgerEvent

T0 = LEDGER_T0
NOW = "2026-03-08T12:00:00+00:00"  # AGENTCTL_NOW for CLI tests: a week after T0
ts = ledger_ts  # data.ts(seconds), data.tid(n), data.sid(n): the builders of support.py


def run_events(
    n: int,
    charter: str,
    version: str,
    start: float,
    *,
    ok: bool = True,
    deny: bool = False,
    escalate: bool = False,
    sla_missed: bool | None = None,
    wall_ms: float = 1200.0,
) -> list[LedgerEvent]:
    """One run of `charter`: a model call, a tool call touching pii.ssn, maybe a denial, an
    escalation and a request to another agent under a contract."""
    t, root = tid(n), sid(n * 100)
    common: dict[str, Any] = {"trace_id": t, "principal": charter, "principal_version": version}
    evs = [
        LedgerEvent(
            kind="run_start",
            span_id=root,
            parent_span_id=None,
            ts=ts(start),
            commit="c0ffee" * 6 + "c0ff",
            operation=f"charter/{charter}",
            input={"store": "s-12", "sku": n},
            **common,
        ),
        LedgerEvent(
            kind="model_call",
            span_id=sid(n * 100 + 1),
            parent_span_id=root,
            ts=ts(start + 0.3),
            operation="gpt-4o-mini",
            prompt=[{"role": "user", "content": f"restock sku {n}?"}],
            output={"content": "yes"},
            cost_usd=0.002,
            tokens=420,
            latency_ms=300.0,
            attrs={"input_tokens": 400, "output_tokens": 20},
            **common,
        ),
        LedgerEvent(
            kind="tool_call",
            span_id=sid(n * 100 + 2),
            parent_span_id=root,
            ts=ts(start + 0.5),
            operation="inventory.lookup",
            input={"sku": n},
            output={"on_hand": 3},
            data_classes=["pii.ssn", "internal"],
            cost_usd=0.001,
            latency_ms=12.5,
            attrs={"scope": "inventory.read"},
            **common,
        ),
    ]
    if deny:
        evs.append(
            LedgerEvent(
                kind="denial",
                span_id=sid(n * 100 + 3),
                parent_span_id=root,
                ts=ts(start + 0.6),
                operation="billing.charge",
                status="denied",
                attrs={"reason": "scope billing.write not granted"},
                **common,
            )
        )
    if escalate:
        evs.append(
            LedgerEvent(
                kind="escalation",
                span_id=sid(n * 100 + 4),
                parent_span_id=root,
                ts=ts(start + 0.7),
                operation="role/store-manager",
                attrs={"reason": "order above approval limit"},
                **common,
            )
        )
    if sla_missed is not None:
        evs.append(
            LedgerEvent(
                kind="agent_request",
                span_id=sid(n * 100 + 5),
                parent_span_id=root,
                ts=ts(start + 0.9),
                operation="charter/procurement",
                cost_usd=0.01,
                latency_ms=250.0,
                attrs={"contract": "planner-procurement", "sla_missed": sla_missed},
                **common,
            )
        )
    evs.append(
        LedgerEvent(
            kind="run_end",
            span_id=root,
            parent_span_id=None,
            ts=ts(start + wall_ms / 1000),
            operation=f"charter/{charter}",
            status="ok" if ok else "error",
            output={"ordered": ok},
            latency_ms=wall_ms,
            **common,
        )
    )
    return evs


def sample_events() -> list[LedgerEvent]:
    """Two charters; the planner in two versions (v2 slower, more denials)."""
    evs: list[LedgerEvent] = []
    for i in range(4):
        evs += run_events(
            1 + i,
            "replenishment-planner",
            "sha256:1111aaaa2222bbbb",
            i * 3600,
            sla_missed=False,
            wall_ms=1000 + 100 * i,
        )
    for i in range(4):
        evs += run_events(
            10 + i,
            "replenishment-planner",
            "sha256:3333cccc4444dddd",
            86400 + i * 3600,
            ok=i != 3,
            deny=i % 2 == 0,
            escalate=i == 1,
            sla_missed=i == 2,
            wall_ms=2000 + 300 * i,
        )
    for i in range(2):
        evs += run_events(
            20 + i, "claims-intake", "sha256:5555eeee6666ffff", 3 * 86400 + i * 60, wall_ms=800
        )
    return evs


@pytest.fixture
def sample_ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as led:
        led.append(sample_events())
    return path


@pytest.fixture
def data():
    """This module, so tests reach its helpers without importing a conftest by name."""
    import sys

    return sys.modules[__name__]
