"""The event record, its canonical encoding, ids and redaction.

The canonical encoding is the contract between writers and `agentctl ledger verify`
(docs/ledger.md, "The chain"): change it and every existing ledger stops verifying.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

KINDS = (
    "run_start",
    "run_end",
    "model_call",
    "tool_intent",
    "tool_call",
    "agent_request",
    "policy_decision",
    "denial",
    "escalation",
    "eval_case",  # one eval case's outcome, in the case's own trace (agentctl/evals)
    "eval_suite",  # one suite's verdict against its gate
    "deployment",  # one apply or rollback: every resource's version in an env (deploy/state.py)
    "approval_request",  # an approval asked for (agentctl/approvals)
    "approval_granted",
    "approval_denied",
    "approval_used",  # an approval consumed by one deployment or one action
    "erase",
    "reservation",  # a share of a per-day limit held by a run in flight (ledger/reserve.py)
    "charter_paused",  # agentctl pause: env, by, reason in attrs (deploy/pause.py)
    "charter_resumed",  # agentctl resume
    "action_intent",  # serve: an action about to run, keyed by its decision id (journaled)
    "action",  # serve: what became of an action_intent (ok, error, interrupted)
    "task_opened",  # a human task (agentctl/serve/tasks.py)
    "task_closed",
    "notification",  # a webhook POST of a human task, with its attempts
)

# Events about the governance of the workspace, not steps of an agent: their principal
# names an environment (`env/NAME`), an approval request (`apr-…`) or the charter a brake
# is on (a pause is no run of it), and reports about agents (`ledger report`) leave them out.
GOVERNANCE_KINDS = (
    "deployment",
    "approval_request",
    "approval_granted",
    "approval_denied",
    "approval_used",
    "charter_paused",
    "charter_resumed",
    # serve: a policy's decisions and actions, human tasks (principal policy/NAME, user/…)
    "policy_decision",
    "action_intent",
    "action",
    "task_opened",
    "task_closed",
    "notification",
)

GENESIS = b"\x00" * 32  # the "previous hash" of the first row
REDACTED = "[REDACTED]"

_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")
_HEX = "0123456789abcdef"
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*")
_JSON_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS

# What orjson cannot encode, and what the ledger writes instead (docs/ledger.md, "Values
# orjson cannot encode"): nothing a run hands the ledger may cost an event.
MAX_DEPTH = 254  # orjson's own limit: containers nested deeper are one marker string
DEPTH_MARKER = f"[TRUNCATED: nested deeper than {MAX_DEPTH} levels]"
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # orjson's integers; others become strings


@dataclass
class LedgerEvent:
    """One step of an agent (or of the system), as the runtime hands it to the ledger."""

    kind: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    ts: str
    principal: str
    principal_version: str = ""
    commit: str | None = None
    operation: str | None = None
    status: str = "ok"
    input: Any = None
    output: Any = None
    prompt: Any = None
    data_classes: list[str] = field(default_factory=list)
    cost_usd: float = 0.0
    tokens: int = 0
    latency_ms: float = 0.0
    attrs: dict[str, Any] = field(default_factory=dict)


def new_trace_id() -> str:
    """16 random bytes as 32 hex chars (W3C trace-context; never all zero)."""
    while True:
        raw = os.urandom(16)
        if any(raw):
            return raw.hex()


def new_span_id() -> str:
    """8 random bytes as 16 hex chars (W3C trace-context; never all zero)."""
    while True:
        raw = os.urandom(8)
        if any(raw):
            return raw.hex()


def format_ts(moment: _dt.datetime) -> str:
    """A datetime as the ledger's timestamp: RFC 3339, UTC, microseconds, `Z`."""
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps need an aware datetime")
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> _dt.datetime:
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=_dt.UTC)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact: money must not pass through a float
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


def encode_json(value: Any) -> bytes:
    """Compact JSON, keys sorted, UTF-8 (orjson); what payloads and attrs are stored as.

    Never fails: a value orjson refuses (an integer beyond 64 bits, a lone surrogate,
    nesting deeper than MAX_DEPTH, an object whose conversion raises) is rebuilt by
    `encodable` and encoded again. Values orjson accepts take the first path untouched, so
    their bytes never change."""
    try:
        return orjson.dumps(value, default=_default, option=_JSON_OPTS)
    except orjson.JSONEncodeError:
        pass
    try:
        return orjson.dumps(encodable(value), default=_default, option=_JSON_OPTS)
    except orjson.JSONEncodeError as exc:  # not expected: encodable leaves nothing to refuse
        return orjson.dumps(text(f"[UNENCODABLE: {exc}]"))


def int_text(value: int) -> str:
    """An integer as exact text: its decimal digits, or beyond the digits Python converts
    (`sys.get_int_max_str_digits`, 4300 by default) its hexadecimal `0x…`."""
    try:
        return str(value)
    except ValueError:
        return f"-0x{-value:x}" if value < 0 else f"0x{value:x}"


def text(value: str) -> str:
    """`value` as valid UTF-8: each lone surrogate becomes the six characters of its JSON
    escape (`\\ud800`); a string without one is returned as is."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def encodable(value: Any, depth: int = 0) -> Any:
    """`value` rebuilt so that orjson encodes it: big integers as decimal strings, lone
    surrogates escaped (`text`), containers below MAX_DEPTH levels replaced by DEPTH_MARKER,
    other objects through the same conversion orjson's `default` applies. What orjson
    accepts is kept as is (so it encodes to the same bytes)."""
    if isinstance(value, str):
        return text(value)
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _INT_MAX else int_text(value)
    container = isinstance(value, dict | list | tuple) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )
    if container and depth >= MAX_DEPTH:
        return DEPTH_MARKER
    if isinstance(value, dict):
        return {_key(k): encodable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(v, depth + 1) for v in value]
    if container:  # a dataclass: orjson writes its fields as an object
        fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
        return {k: encodable(v, depth + 1) for k, v in fields.items()}
    try:  # datetime, UUID, enum...: what orjson writes natively stays its business
        orjson.dumps(value, option=_JSON_OPTS)
        return value
    except orjson.JSONEncodeError:
        pass
    if depth >= MAX_DEPTH:  # a conversion that keeps returning objects ends here too
        return DEPTH_MARKER
    try:
        converted = _default(value)
    except Exception as exc:  # a hostile __str__ or model_dump: the event survives it
        return text(f"[UNENCODABLE {type(value).__name__}: {exc}]")
    return encodable(converted, depth + 1)


def _key(key: Any) -> Any:
    if isinstance(key, str):
        return text(key)
    if key is None or isinstance(key, bool | float):
        return key
    if isinstance(key, int):
        return key if _INT_MIN <= key <= _INT_MAX else int_text(key)
    try:
        orjson.dumps({key: None}, option=_JSON_OPTS)
        return key
    except orjson.JSONEncodeError:
        pass
    try:
        return text(str(key))
    except Exception:
        return f"[UNENCODABLE {type(key).__name__}]"


def redact_bytes(data: bytes) -> bytes:
    """The ledger's own last line of defence: bearer tokens in already-encoded JSON.

    The cheap test runs on every payload; only a payload that mentions a bearer is decoded,
    redacted as values (so escapes inside strings are seen as the characters they are) and
    encoded again.
    """
    if b"bearer" not in data.lower():
        return data
    return encode_json(_redact(orjson.loads(data), []))


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """Replace each secret substring and every `Bearer <token>` with "[REDACTED]", recursively.

    Mappings, lists and tuples are rebuilt; strings are rewritten; other values pass through.
    Empty secrets are ignored (they would match everywhere).
    """
    wanted = sorted({s for s in secrets if s and s.strip()}, key=len, reverse=True)
    return _redact(value, wanted)


# The fields of an event that can carry text from outside agentctl (an agent's operation or
# charter names, payloads, messages in attrs, names from the workspace). The others are
# written by agentctl in fixed formats that check_event enforces (ids, ts, kind, status,
# digests): redacting inside them could only corrupt them.
TEXT_FIELDS = ("principal", "operation", "data_classes", "input", "output", "prompt", "attrs")


def redact_event(e: LedgerEvent, secrets: Iterable[str] = ()) -> LedgerEvent:
    """`e` with every text field redacted (see `redact`): the one function every event
    passes before it is written, so no column (operation included) keeps a secret."""
    wanted = sorted({s for s in secrets if s and s.strip()}, key=len, reverse=True)
    for name in TEXT_FIELDS:
        value = getattr(e, name)
        if value is not None:
            setattr(e, name, _redact(value, wanted))
    return e


def redact_columns(e: LedgerEvent) -> None:
    """The ledger's own last line of defence for the short text columns (payloads and attrs
    have redact_bytes): a `Bearer <token>` in a principal, an operation or a data class.
    A cheap test first: this runs for every event."""
    if e.operation and "earer" in e.operation.lower():
        e.operation = _BEARER.sub(r"\1 " + REDACTED, e.operation)
    if "earer" in e.principal.lower():
        e.principal = _BEARER.sub(r"\1 " + REDACTED, e.principal)
    if e.data_classes and any("earer" in c.lower() for c in e.data_classes):
        e.data_classes = [_BEARER.sub(r"\1 " + REDACTED, c) for c in e.data_classes]


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """One string (a message, a hint, a log line) with its secrets redacted."""
    out = redact(text, secrets)
    assert isinstance(out, str)
    return out


def _redact(value: Any, secrets: list[str], depth: int = 0) -> Any:
    if isinstance(value, str):
        for s in secrets:
            if s in value:
                value = value.replace(s, REDACTED)
        return _BEARER.sub(r"\1 " + REDACTED, value)
    if isinstance(value, Mapping | list | tuple) and depth >= MAX_DEPTH:
        # what the encoder would cap anyway; stopping here keeps Python's stack safe
        return DEPTH_MARKER
    if isinstance(value, Mapping):
        return {
            _redact(k, secrets, depth + 1): _redact(v, secrets, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v, secrets, depth + 1) for v in value]
    return value


def check_event(e: LedgerEvent) -> None:
    """Refuse an event the ledger could not index or verify: a bug in the caller."""
    if not (isinstance(e.ts, str) and _TS.match(e.ts)):
        raise ValueError(f"ledger event ts {e.ts!r} is not RFC 3339 UTC with microseconds")
    if len(e.trace_id) != 32 or e.trace_id.strip(_HEX):
        raise ValueError(f"ledger event trace_id {e.trace_id!r} is not 32 lowercase hex chars")
    if len(e.span_id) != 16 or e.span_id.strip(_HEX):
        raise ValueError(f"ledger event span_id {e.span_id!r} is not 16 lowercase hex chars")
    p = e.parent_span_id
    if p is not None and (len(p) != 16 or p.strip(_HEX)):
        raise ValueError(f"ledger event parent_span_id {e.parent_span_id!r} is not 16 hex chars")
    if not e.kind:
        raise ValueError("ledger event without a kind")


# The chained columns, in the (sorted) order the canonical encoding writes them.
CHAINED = (
    "attrs",
    "cost_usd",
    "data_classes",
    "git_commit",
    "input_hash",
    "kind",
    "latency_ms",
    "operation",
    "output_hash",
    "parent_span_id",
    "principal",
    "principal_version",
    "prompt_hash",
    "seq",
    "span_id",
    "status",
    "tokens",
    "trace_id",
    "ts",
)


def canonical(row: tuple[Any, ...]) -> bytes:
    """The bytes a row's hash covers: a JSON object of the CHAINED columns, keys sorted.

    `row` holds the values in CHAINED order; attrs and data_classes are their stored JSON
    text, so a verifier needs no JSON parser, only the column values. The hot loops
    (store._chain, verify._walk) inline this same expression; the row's hash is
    sha256(prev_hash || canonical(row)).
    """
    return orjson.dumps(dict(zip(CHAINED, row, strict=True)))
