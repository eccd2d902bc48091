"""The trace ledger: one SQLite file, append-only and hash-chained (docs/ledger.md)."""

from agentctl.ledger.errors import LedgerError
from agentctl.ledger.record import (
    LedgerEvent,
    format_ts,
    new_span_id,
    new_trace_id,
    parse_ts,
    redact,
    redact_event,
    redact_text,
)
from agentctl.ledger.store import Ledger, LedgerWriter

__all__ = [
    "Ledger",
    "LedgerError",
    "LedgerEvent",
    "LedgerWriter",
    "format_ts",
    "new_span_id",
    "new_trace_id",
    "parse_ts",
    "redact",
    "redact_event",
    "redact_text",
]
