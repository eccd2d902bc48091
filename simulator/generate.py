#!/usr/bin/env python3
"""Generate the example event fixtures (fixed seed: the same bytes every time).

    python simulator/generate.py            # writes simulator/fixtures/*.jsonl.gz

Three weeks (2026-11-02 .. 2026-11-22, UTC: last month) of traffic for the example workspace:
- retail.jsonl.gz: point-of-sale, supply-chain and weather events for two stores, and the
  forecasting job's hourly `forecast.stockout` per store and SKU (risk and reorder value);
  background noise plus planted episodes, per store and SKU, the retail scenario checks;
- claims.jsonl.gz: claims submitted to the insurer, with planted large claims and a burst;
- support.jsonl.gz: tickets opened and updated, with planted SLA breaches, a ticket its
  customer keeps chasing, and an outage.
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
START = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = 21
# ids as the connectors' schemas spell them (tests/examples checks): stores S014 and S002
STORE = "S014"
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

STORES = [STORE, "S002"]
FORECAST = SKUS[:12]  # the fast movers the forecasting job scores every hour

# (store, sku, start, end, risk, reorder value): the episodes the retail scenario expects;
# each is one store and SKU, which the stockout-risk policy judges on its own (its key)
EPISODES = [
    # 11-03: held 3h at 12:00 → fired; the same SKU at the other store an hour later
    (STORE, "SKU-1003", at(1, 9), at(1, 14), 0.86, 1450.0),
    ("S002", "SKU-1003", at(1, 10), at(1, 15), 0.84, 1300.0),
    # 11-05: SKU-1007 flaps at 12:55, just before 3h ...
    (STORE, "SKU-1007", at(3, 10), at(3, 12, 50), 0.88, 1800.0),
    (STORE, "SKU-1007", at(3, 13), at(3, 15), 0.9, 1800.0),  # ... and again: never fires
    (STORE, "SKU-1011", at(3, 11), at(3, 15), 0.83, 900.0),  # its neighbour fires at 14:00
    # 11-09 → 11-10: store-manager, the 12h cooldown, and again twice
    (STORE, "SKU-1005", at(7, 8), at(8, 14), 0.91, 3600.0),
    # 11-12: a supplier delay puts five SKUs at risk at once; the policy's 4-a-day bound
    *(("S002", f"SKU-100{i}", at(10, 6), at(10, 12), 0.87, 800.0) for i in range(5)),
    # 11-16: a big order → the finance director
    ("S002", "SKU-1009", at(14, 8), at(14, 13), 0.95, 62000.0),
]


def risk_at(
    store: str, sku: str, t: datetime, rng: random.Random, spiked: bool
) -> tuple[float, float, bool]:
    """The forecast for one store and SKU at t; a lone spike above 0.8 now and then (never
    two in a row) is noise that `for: 3h` filters out."""
    for e_store, e_sku, start, end, risk, value in EPISODES:
        if e_store == store and e_sku == sku and start <= t < end:
            return round(risk + rng.uniform(-0.03, 0.03), 3), value, False
    value = round(rng.uniform(300, 1500), 2)
    if not spiked and rng.random() < 0.01:
        return round(rng.uniform(0.8, 0.9), 3), value, True
    return round(rng.uniform(0.05, 0.62), 3), value, False


def retail(rng: random.Random) -> None:
    events: list[tuple[datetime, int, dict[str, object]]] = []
    n = 0
    for day in range(DAYS):
        t = at(day, 8)
        close = at(day, 22)
        while t < close:
            t += timedelta(seconds=rng.randint(60, 420))
            n += 1
            events.append(
                (
                    t,
                    n,
                    {
                        "type": "pos.sale",
                        "data": {
                            "store_id": rng.choice(STORES),
                            "sku": rng.choice(SKUS),
                            "units": rng.randint(1, 6),
                            "unit_price": round(rng.uniform(2, 40), 2),
                        },
                    },
                )
            )
        for _ in range(rng.randint(0, 3)):
            t = at(day, rng.randint(0, 23), rng.randint(0, 59))
            n += 1
            events.append(
                (
                    t,
                    n,
                    {
                        "type": "supply.delay",
                        "data": {
                            "store_id": rng.choice(STORES),
                            "sku": rng.choice(SKUS),
                            "supplier": rng.choice(["northwind", "acme-foods", "globex"]),
                            "delay_days": rng.randint(1, 9),
                        },
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
                            "store_id": rng.choice(STORES),
                            "region": "north-east",
                            "severity": rng.choice(["advisory", "watch", "warning"]),
                        },
                    },
                )
            )
    # the forecasting job: every hour, each store's fast movers
    spiked = dict.fromkeys(((s, k) for s in STORES for k in FORECAST), False)
    for hour in range(DAYS * 24):
        t = START + timedelta(hours=hour)
        for store in STORES:
            for sku in FORECAST:
                risk, value, spiked[store, sku] = risk_at(store, sku, t, rng, spiked[store, sku])
                n += 1
                events.append((t, n, forecast(store, sku, risk, value)))
    # the flap: a reading below the threshold just before SKU-1007's 3h window ends
    events.append((at(3, 12, 55), n + 1, forecast(STORE, "SKU-1007", 0.61, 1800.0)))
    write("retail.jsonl.gz", events)


def forecast(store: str, sku: str, risk: float, value: float) -> dict[str, object]:
    return {
        "type": "forecast.stockout",
        "data": {
            "store_id": store,
            "sku": sku,
            "stockout_risk": risk,
            "reorder_value_usd": value,
            "horizon_days": 14,
        },
    }


# --- claims ---------------------------------------------------------------------------

PLANTED_CLAIMS = [
    (at(2, 10, 15), "CLM-20269001", 7500.0),  # adjuster approves
    (at(4, 15, 40), "CLM-20269002", 42000.0),  # above the adjuster: claims-director
    (at(9, 11, 5), "CLM-20269003", 180000.0),  # above everyone: escalated, no approver
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
                        "member_id": f"M-{rng.randint(10000, 99999):07d}",
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
            claim(t, f"CLM-2026{n:04d}", billed)
    for t, cid, billed in PLANTED_CLAIMS:
        claim(t, cid, billed)
    # a hailstorm: 40 large claims in one afternoon exhaust the policy's daily budget
    for i in range(40):
        claim(at(10, 13) + timedelta(minutes=3 * i), f"CLM-202695{i:02d}", 5200.0 + 37 * i)
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
                "ticket_id": f"T-{61000 + day}",
                "intent": "billing",
                "waiting_minutes": 265,
                "status": "open",
            },
        )
    add(
        at(5, 11, 12),
        "ticket.updated",
        {
            "ticket_id": "T-62001",
            "intent": "refund",
            "waiting_minutes": 35,
            "status": "open",
            "wants_human": True,
        },
    )
    # a customer who keeps chasing one stalled ticket: one callback, then the ticket's own
    # 4h cooldown holds the next two updates, and a second callback once it is over
    add(
        at(6, 9),
        "ticket.opened",
        {"ticket_id": "T-63001", "intent": "shipping", "waiting_minutes": 0, "status": "open"},
    )
    for waited in (250, 290, 400, 560):
        add(
            at(6, 9) + timedelta(minutes=waited),
            "ticket.updated",
            {
                "ticket_id": "T-63001",
                "intent": "shipping",
                "waiting_minutes": waited,
                "status": "open",
            },
        )
    # an outage: 25 tickets breach within one hour; the hourly bound holds the line
    for i in range(25):
        add(
            at(12, 14, 2 * i),
            "ticket.updated",
            {
                "ticket_id": f"T-{64000 + i}",
                "intent": "technical",
                "waiting_minutes": 250 + i,
                "status": "open",
            },
        )
    write("support.jsonl.gz", events)


# --- drift ---------------------------------------------------------------------------


def drift(rng: random.Random) -> None:
    """What `agentctl serve` measures each hour (agentctl/serve/drift.py): claims-intake's
    success rate per version. Version 2 ships on day 2 at 00:00 and is fine for six hours;
    from 06:00 it fails one claim in five: the charter-success-drop policy holds 2h, opens
    an incident at 08:00, then keeps quiet for its 24h cooldown."""
    events: list[tuple[datetime, int, dict[str, object]]] = []
    v1, v2 = "3f1c9a7e5b2d4c6a", "8e2b6d0f4a1c3e5b"
    for h in range(48):
        end = at(1, 0) + timedelta(hours=h)
        version = v1 if h < 24 else v2
        runs = rng.randint(30, 50)
        rate = 0.97 if h < 30 else 0.8
        ok = round(runs * rate)
        events.append(
            (
                end,
                h,
                {
                    "type": "agentctl.drift",
                    "data": {
                        "charter": "claims-intake",
                        "version": version,
                        "window_s": 3600,
                        "since": ts(end - timedelta(hours=1)),
                        "until": ts(end),
                        "runs": runs,
                        "success_rate": round(ok / runs, 6),
                        "cost_usd": round(runs * 0.21, 2),
                        "cost_per_action": 0.07,
                        "sla_misses": 0,
                        "denials": 0,
                        "escalations": 0,
                    },
                },
            )
        )
    write("drift.jsonl.gz", events)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    retail(random.Random(20260302))
    claims(random.Random(20260303))
    support(random.Random(20260304))
    drift(random.Random(20260305))


if __name__ == "__main__":
    main()
