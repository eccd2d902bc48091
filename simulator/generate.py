#!/usr/bin/env python3
"""Generate the example event fixtures (fixed seed: the same bytes every time).

    python simulator/generate.py            # writes simulator/fixtures/*.jsonl.gz

Three weeks (2026-03-02 .. 2026-03-22, UTC) of traffic for the example workspace:
- retail.jsonl.gz: point-of-sale, supply-chain and weather events for one store, each
  carrying the forecasting job's latest `stockout_risk` and `reorder_value_usd` metrics;
  background noise plus four planted episodes the retail scenario checks;
- claims.jsonl.gz: claims submitted to the insurer, with planted large claims and a burst;
- support.jsonl.gz: tickets opened and updated, with planted SLA breaches and an outage.
The gzip header carries no timestamp or file name, so the output is byte-identical.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "fixtures"
START = datetime(2026, 3, 2, tzinfo=UTC)
DAYS = 21
STORE = "store-0042"
SKUS = [f"SKU-{1000 + i}" for i in range(24)]


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return START + timedelta(days=day, hours=hh, minutes=mm)


def write(name: str, events: list[tuple[datetime, int, dict[str, object]]]) -> None:
    events.sort(key=lambda e: (e[0], e[1]))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        for t, _, body in events:
            line = {"ts": ts(t), **body}
            gz.write(json.dumps(line, separators=(",", ":"), sort_keys=False).encode() + b"\n")
    (OUT / name).write_bytes(buf.getvalue())
    print(f"{name}: {len(events)} events, {len(buf.getvalue()):,} bytes")


# --- retail ---------------------------------------------------------------------------

# (start, end, risk, reorder value): the episodes the retail scenario expects
EPISODES = [
    (at(1, 9), at(1, 14), 0.86, 1450.0),  # 03-03: held 3h at 12:00 → fired
    (at(3, 10), at(3, 12, 50), 0.88, 1800.0),  # 03-05: flaps just before 3h ...
    (at(3, 13), at(3, 15), 0.9, 1800.0),  # ... and again: never fires
    (at(7, 8), at(8, 14), 0.91, 3600.0),  # 03-09 → 03-10: store-manager, cooldown, again
    (at(14, 8), at(14, 13), 0.95, 62000.0),  # 03-16: a big order → finance-director
]


def risk_at(t: datetime, rng: random.Random) -> tuple[float, float]:
    for start, end, risk, value in EPISODES:
        if start <= t < end:
            return round(risk + rng.uniform(-0.03, 0.03), 3), value
    return round(rng.uniform(0.08, 0.62), 3), round(rng.uniform(300, 1500), 2)


def retail(rng: random.Random) -> None:
    events: list[tuple[datetime, int, dict[str, object]]] = []
    n = 0
    for day in range(DAYS):
        t = at(day, 8)
        close = at(day, 22)
        while t < close:
            t += timedelta(seconds=rng.randint(60, 420))
            sku = rng.choice(SKUS)
            risk, value = risk_at(t, rng)
            n += 1
            events.append(
                (
                    t,
                    n,
                    {
                        "type": "pos.sale",
                        "data": {
                            "store_id": STORE,
                            "sku": sku,
                            "units": rng.randint(1, 6),
                            "unit_price": round(rng.uniform(2, 40), 2),
                        },
                        "metrics": {"stockout_risk": risk, "reorder_value_usd": value},
                    },
                )
            )
        for _ in range(rng.randint(0, 3)):
            t = at(day, rng.randint(0, 23), rng.randint(0, 59))
            risk, value = risk_at(t, rng)
            n += 1
            events.append(
                (
                    t,
                    n,
                    {
                        "type": "supply.delay",
                        "data": {
                            "store_id": STORE,
                            "sku": rng.choice(SKUS),
                            "supplier": rng.choice(["northwind", "acme-foods", "globex"]),
                            "delay_days": rng.randint(1, 9),
                        },
                        "metrics": {"stockout_risk": risk, "reorder_value_usd": value},
                    },
                )
            )
        if rng.random() < 0.3:
            t = at(day, rng.randint(0, 23), rng.randint(0, 59))
            n += 1
            events.append(
                (
                    t,
                    n,
                    {
                        "type": "weather.alert",
                        "data": {
                            "store_id": STORE,
                            "region": "north-east",
                            "severity": rng.choice(["advisory", "watch", "warning"]),
                        },
                    },
                )
            )
    # the flap: a reading below the threshold just before the 3h window ends
    events.append(
        (
            at(3, 12, 55),
            10**6,
            {
                "type": "pos.sale",
                "data": {"store_id": STORE, "sku": "SKU-1003", "units": 1, "unit_price": 4.5},
                "metrics": {"stockout_risk": 0.61, "reorder_value_usd": 1800.0},
            },
        )
    )
    write("retail.jsonl.gz", events)


# --- claims ---------------------------------------------------------------------------

PLANTED_CLAIMS = [
    (at(2, 10, 15), "CLM-900001", 7500.0),  # adjuster approves
    (at(4, 15, 40), "CLM-900002", 42000.0),  # above the adjuster: claims-director
    (at(9, 11, 5), "CLM-900003", 180000.0),  # above everyone: escalated, no approver
]


def claims(rng: random.Random) -> None:
    events: list[tuple[datetime, int, dict[str, object]]] = []
    n = 0

    def claim(t: datetime, cid: str, billed: float) -> None:
        nonlocal n
        n += 1
        events.append(
            (
                t,
                n,
                {
                    "type": "claim.submitted",
                    "data": {
                        "claim_id": cid,
                        "member_id": f"M-{rng.randint(10000, 99999)}",
                        "billed_usd": billed,
                        "procedure_codes": rng.sample(["99213", "80053", "71046", "93000"], 2),
                        "channel": rng.choice(["portal", "provider", "mail"]),
                    },
                },
            )
        )

    for day in range(DAYS):
        for _ in range(rng.randint(110, 170)):
            t = at(day, rng.randint(6, 21), rng.randint(0, 59)) + timedelta(
                seconds=rng.randint(0, 59)
            )
            # mostly routine claims; large ones (>= $5,000) stay rare
            billed = min(round(rng.lognormvariate(5.9, 0.8), 2), 4900.0)
            claim(t, f"CLM-{100000 + n}", billed)
    for t, cid, billed in PLANTED_CLAIMS:
        claim(t, cid, billed)
    # a hailstorm: 40 large claims in one afternoon exhaust the policy's daily budget
    for i in range(40):
        claim(at(10, 13) + timedelta(minutes=3 * i), f"CLM-95{i:04d}", 5200.0 + 37 * i)
    write("claims.jsonl.gz", events)


# --- support --------------------------------------------------------------------------


def support(rng: random.Random) -> None:
    events: list[tuple[datetime, int, dict[str, object]]] = []
    n = 0

    def add(t: datetime, etype: str, data: dict[str, object]) -> None:
        nonlocal n
        n += 1
        events.append((t, n, {"type": etype, "data": data}))

    tid = 0
    for day in range(DAYS):
        for _ in range(rng.randint(120, 180)):
            tid += 1
            opened = at(day, rng.randint(7, 20), rng.randint(0, 59))
            ticket = f"T-{50000 + tid}"
            intent = rng.choice(["billing", "login", "shipping", "refund", "technical"])
            add(
                opened,
                "ticket.opened",
                {"ticket_id": ticket, "intent": intent, "waiting_minutes": 0, "status": "open"},
            )
            waited = 0
            for _ in range(rng.randint(0, 2)):
                waited += rng.randint(10, 150)
                add(
                    opened + timedelta(minutes=waited),
                    "ticket.updated",
                    {
                        "ticket_id": ticket,
                        "intent": intent,
                        "waiting_minutes": waited,
                        "status": rng.choice(["open", "pending", "closed"]),
                    },
                )
    # planted breaches: one a week waits past the 4h SLA; one customer asks for a person
    for day in (2, 9, 16):
        add(
            at(day, 15, 30),
            "ticket.updated",
            {
                "ticket_id": f"T-SLA-{day}",
                "intent": "billing",
                "waiting_minutes": 265,
                "status": "open",
            },
        )
    add(
        at(5, 11, 12),
        "ticket.updated",
        {
            "ticket_id": "T-HUMAN-1",
            "intent": "refund",
            "waiting_minutes": 35,
            "status": "open",
            "wants_human": True,
        },
    )
    # an outage: 25 tickets breach within one hour; the hourly bound holds the line
    for i in range(25):
        add(
            at(12, 14, 2 * i),
            "ticket.updated",
            {
                "ticket_id": f"T-OUT-{i:03d}",
                "intent": "technical",
                "waiting_minutes": 250 + i,
                "status": "open",
            },
        )
    write("support.jsonl.gz", events)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    retail(random.Random(20260302))
    claims(random.Random(20260303))
    support(random.Random(20260304))


if __name__ == "__main__":
    main()
