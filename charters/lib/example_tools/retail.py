"""The retailer's store-inventory service, forecasting service and dock scheduler."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from example_tools._common import UnknownOperation, stable_id

AS_OF = "2026-11-25T06:00:00Z"  # the nightly inventory snapshot the examples are pinned to

# (store, sku) → on hand, on order, safety stock, mean daily demand, daily spread
STOCK: dict[tuple[str, str], tuple[int, int, int, float, float]] = {
    ("S014", "UMB-COMPACT-BLK"): (38, 0, 60, 18.5, 3.6),  # a storm is coming
    ("S014", "WTR-24PK"): (900, 200, 120, 21.0, 4.0),
    ("S014", "GEN-5500W"): (6, 0, 2, 0.3, 0.2),
    ("S002", "GEN-5500W"): (1, 0, 2, 1.3, 0.4),  # ice-storm warning upstate
    ("S002", "UMB-COMPACT-BLK"): (140, 48, 40, 6.0, 1.5),
    ("S002", "SALT-ICE-20KG"): (25, 0, 30, 9.0, 2.5),
    ("S031", "UMB-COMPACT-BLK"): (75, 0, 40, 4.0, 1.0),
    ("S031", "FLASH-LED-2"): (210, 0, 50, 5.0, 1.5),
}
# the item master: the SKUs stocked above, and the fast movers (SKU-1000 .. SKU-1023)
# whose forecasts the simulator's recorded events carry
CATALOG = {sku for _, sku in STOCK} | {f"SKU-{1000 + i}" for i in range(24)}
# The aggregate row the inventory system keeps per store (all SKUs, in pallets).
STORE_TOTAL = "STORE-TOTAL"


def _known(store_id: str, sku: str) -> tuple[int, int, int, float, float]:
    if sku not in CATALOG:
        raise LookupError(f"unknown SKU {sku!r}: not in the item master")
    # a catalogued SKU the store does not carry yet: nothing on hand, low demand
    return STOCK.get((store_id, sku), (0, 0, 5, 0.5, 0.3))


def inventory(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    store, sku = payload["store_id"], payload["sku"]
    if operation == "get_stock":
        if sku == STORE_TOTAL:
            rows = [v for (s, _), v in STOCK.items() if s == store]
            return {
                "store_id": store,
                "sku": sku,
                "on_hand": sum(r[0] for r in rows),
                "on_order": sum(r[1] for r in rows),
                "as_of": AS_OF,
            }
        on_hand, on_order, safety, _, _ = _known(store, sku)
        return {
            "store_id": store,
            "sku": sku,
            "on_hand": on_hand,
            "on_order": on_order,
            "safety_stock": safety,
            "as_of": AS_OF,
        }
    if operation == "forecast_demand":
        on_hand, on_order, _, mean, spread = _known(store, sku)
        days = int(payload["horizon_days"])
        expected = mean * days
        p90 = expected + 1.2816 * spread * math.sqrt(days)
        # normal approximation of P(demand > stock) over the horizon
        sigma = max(spread * math.sqrt(days), 1e-9)
        z = (on_hand + on_order - expected) / sigma
        risk = 0.5 * math.erfc(z / math.sqrt(2))
        return {
            "sku": sku,
            "horizon_days": days,
            "expected_units": round(expected, 1),
            "p90_units": round(p90, 1),
            "stockout_risk": round(min(max(risk, 0.0), 1.0), 3),
        }
    raise UnknownOperation("inventory", operation)


# The dock at S031 is booked solid on Christmas Eve: requests that day are waitlisted.
FULL_DAYS = {("S031", "2026-12-24")}
DOCKS = ("D1", "D2", "D3")


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def logistics(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    if operation != "reserve_dock":
        raise UnknownOperation("logistics", operation)
    store, order = payload["store_id"], payload["order_id"]
    start = _instant(payload["window_start"]).astimezone(dt.UTC)
    pallets = int(payload["pallets"])
    rid = stable_id("RSV-", store, order, payload["window_start"])
    if (store, start.date().isoformat()) in FULL_DAYS:
        return {"reservation_id": rid, "status": "waitlisted"}
    end = start + dt.timedelta(minutes=30 + 10 * pallets)  # unloading time grows with size
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "reservation_id": rid,
        "status": "reserved",
        "dock": DOCKS[int(rid[-1]) % len(DOCKS)],
        "window_start": start.strftime(fmt),
        "window_end": end.strftime(fmt),
    }
