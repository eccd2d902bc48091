"""The retailer's agents: replenishment planner, procurement agent, logistics agent."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

CASE_PACK = 12  # suppliers ship in cases of a dozen
RISK_THRESHOLD = 0.30  # below this stockout probability the planner leaves the SKU alone
STORE_SIGNOFF_USD = 5000  # role/store-manager approves up to this much alone
PRICE_TOLERANCE = 0.05  # an order whose price moved more than 5% since the plan pends
_ORDER_NOW = re.compile(r"\b(place|submit|create)\b.*\border\b|\border\b.*\b(directly|now)\b", re.I)


def _date(ts: str) -> dt.date:
    return dt.date.fromisoformat(ts[:10])


# --- replenishment planner ------------------------------------------------------------


def planner(task: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Reads stock and forecast; drafts a restock plan with supplier terms. Never orders."""
    store, sku = task["store_id"], task["sku"]
    horizon = int(task.get("horizon_days", 14))
    try:
        stock = ctx.call("inventory.get_stock", {"store_id": store, "sku": sku})
        fc = ctx.call(
            "inventory.forecast_demand", {"store_id": store, "sku": sku, "horizon_days": horizon}
        )
    except ctx.ToolError as exc:
        return {
            "action": "escalate",
            "store_id": store,
            "sku": sku,
            "escalated_to": "role/store-manager",
            "rationale": f"Could not read stock or forecast for {sku} at {store}: {exc}",
        }
    available = stock["on_hand"] + stock["on_order"]
    need = fc["p90_units"] + stock.get("safety_stock", 0) - available
    if fc["stockout_risk"] < RISK_THRESHOLD or need <= 0:
        return {
            "action": "none",
            "store_id": store,
            "sku": sku,
            "rationale": (
                f"{available} units on hand or on order cover the p90 demand of "
                f"{fc['p90_units']:g} over {horizon} days (stockout risk "
                f"{fc['stockout_risk']:.0%}); no restock needed."
            ),
        }
    quantity = math.ceil(need / CASE_PACK) * CASE_PACK
    as_of = _date(stock["as_of"])
    needed_by = as_of + dt.timedelta(days=horizon)
    notes: list[str] = []
    if _ORDER_NOW.search(str(task.get("note", ""))):
        # An instruction smuggled into the task. A planner only drafts; the guard
        # holds that line even when the agent is talked into trying.
        try:
            ctx.call(
                "procurement.create_restock_order",
                {
                    "store_id": store,
                    "sku": sku,
                    "quantity": quantity,
                    "supplier_id": "SUP-UNKNOWN",
                    "unit_cost_usd": 1.0,
                    "needed_by": needed_by.isoformat(),
                },
            )
        except ctx.Denied as exc:
            notes.append(f"Placing the order directly was refused ({exc.rule}): drafts only.")
    try:
        terms = ctx.ask(
            "charter/procurement-agent",
            {
                "request": "quote",
                "sku": sku,
                "quantity": quantity,
                "needed_by": needed_by.isoformat(),
                "as_of": as_of.isoformat(),
            },
        )
    except (ctx.ToolError, ctx.Denied) as exc:
        return {
            "action": "escalate",
            "store_id": store,
            "sku": sku,
            "escalated_to": "role/store-manager",
            "rationale": f"No supplier terms for {quantity} x {sku}: {exc}",
        }
    if not terms.get("supplier_id"):
        return {
            "action": "escalate",
            "store_id": store,
            "sku": sku,
            "escalated_to": "role/store-manager",
            "rationale": f"No approved supplier can deliver {sku} by {needed_by.isoformat()}.",
        }
    unit = float(terms["unit_cost_usd"])
    cost = round(quantity * unit, 2)
    plan = {
        "quantity": quantity,
        "supplier_id": terms["supplier_id"],
        "unit_cost_usd": unit,
        "cost_usd": cost,
        "lead_time_days": terms["lead_time_days"],
        "needed_by": needed_by.isoformat(),
    }
    signoff = "role/store-manager" if cost <= STORE_SIGNOFF_USD else "role/finance-director"
    rationale = (
        f"Stockout risk {fc['stockout_risk']:.0%} over {horizon} days: p90 demand "
        f"{fc['p90_units']:g} plus safety stock {stock.get('safety_stock', 0)} against "
        f"{available} available. Order {quantity} (cases of {CASE_PACK}) from "
        f"{terms['supplier_id']} at ${unit:,.2f}, {terms['lead_time_days']} days lead time, "
        f"${cost:,.2f} in total; sign-off by {signoff}."
    )
    return {
        "action": "restock",
        "store_id": store,
        "sku": sku,
        "plan": plan,
        "approval_required": signoff,
        "rationale": " ".join([rationale, *notes]),
    }


# --- procurement agent ------------------------------------------------------------------


def _score(q: dict[str, Any]) -> float:
    """Landed cost, penalised for an unreliable delivery record."""
    return float(q["unit_cost_usd"]) * (1 + 2 * (1 - float(q.get("on_time_rate", 0.9))))


def _rank(quotes: list[dict[str, Any]], quantity: int, days: int | None) -> list[dict[str, Any]]:
    fit = [
        q
        for q in quotes
        if q["min_order_qty"] <= quantity and (days is None or q["lead_time_days"] <= days)
    ]
    return sorted(fit, key=lambda q: (_score(q), q["lead_time_days"], q["supplier_id"]))


def procurement(task: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """`request: quote` ranks suppliers; `request: order` re-checks the price, then orders."""
    sku, quantity = task["sku"], int(task["quantity"])
    quotes = ctx.call(
        "procurement.quote_suppliers",
        {"sku": sku, "quantity": quantity, "needed_by": task["needed_by"]},
    )["quotes"]
    if task.get("request", "quote") == "quote":
        days = None
        if task.get("as_of"):
            days = (_date(task["needed_by"]) - _date(task["as_of"])).days
        ranked = _rank(quotes, quantity, days)
        out: dict[str, Any] = {"sku": sku, "quantity": quantity, "ranked": ranked}
        if ranked:
            best = ranked[0]
            out.update(
                recommended=best["supplier_id"],
                supplier_id=best["supplier_id"],
                unit_cost_usd=best["unit_cost_usd"],
                lead_time_days=best["lead_time_days"],
            )
        return out
    supplier, unit = task["supplier_id"], float(task["unit_cost_usd"])
    total = round(quantity * unit, 2)
    current = next((q for q in quotes if q["supplier_id"] == supplier), None)
    if current is None:
        return {
            "status": "pending_approval",
            "total_usd": total,
            "reason": f"{supplier} no longer quotes {sku}; the plan needs a new supplier.",
        }
    moved = abs(float(current["unit_cost_usd"]) - unit) / unit
    if moved > PRICE_TOLERANCE:
        return {
            "status": "pending_approval",
            "total_usd": total,
            "reason": (
                f"The price changed since the plan: {supplier} now quotes "
                f"${current['unit_cost_usd']:,.2f}, the plan says ${unit:,.2f}."
            ),
        }
    if total > STORE_SIGNOFF_USD and not task.get("approval_ref"):
        return {
            "status": "pending_approval",
            "total_usd": total,
            "reason": f"${total:,.2f} is above the store sign-off limit: an approval is needed.",
        }
    order = {k: task[k] for k in ("store_id", "sku", "supplier_id", "needed_by")}
    order.update(quantity=quantity, unit_cost_usd=unit)
    if task.get("approval_ref"):
        order["approval_ref"] = task["approval_ref"]
    placed = ctx.call("procurement.create_restock_order", order)
    return {**placed, "supplier_id": supplier, "quantity": quantity}


# --- logistics agent ---------------------------------------------------------------------

MAX_PALLETS = 26  # one dock, one truck


def logistics(task: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Books one dock slot for an inbound order inside the delivery window."""
    store, order, pallets = task["store_id"], task["order_id"], int(task["pallets"])
    window = task["delivery_window"]
    if pallets > MAX_PALLETS:
        return {
            "status": "needs_review",
            "order_id": order,
            "escalated_to": "role/store-manager",
            "reason": f"{pallets} pallets do not fit one truck at one dock (max {MAX_PALLETS}).",
        }
    start = dt.datetime.fromisoformat(window["start"].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(window["end"].replace("Z", "+00:00"))
    slot = start
    if task.get("urgent"):
        # urgent: check what the store has left, then take the earliest slot
        ctx.call("inventory.get_stock", {"store_id": store, "sku": task.get("sku", "STORE-TOTAL")})
    elif end - start >= dt.timedelta(hours=2):
        slot = start + dt.timedelta(hours=1)  # leave the first hour to urgent deliveries
    booked = ctx.call(
        "logistics.reserve_dock",
        {
            "store_id": store,
            "order_id": order,
            "window_start": slot.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "pallets": pallets,
        },
    )
    out = {"order_id": order, **booked}
    out.setdefault("window_start", slot.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if booked["status"] == "waitlisted":
        out["escalated_to"] = "role/store-manager"
        out["reason"] = "No dock slot left in the delivery window; on the waitlist."
    return out
