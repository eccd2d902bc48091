"""CloudEvents 1.0 in the JSON format: structured mode and batches, validated (pure).

Bytes in, events or exact problems out; never raises on any input. What agentctl takes:
- `application/cloudevents+json`: one event, a JSON object;
- `application/cloudevents-batch+json`: a JSON array of such objects (possibly empty);
- required: `specversion` "1.0", `id`, `source`, `type` (non-empty strings);
- optional: `time` (RFC 3339 with a zone), `subject`, `dataschema`, `datacontenttype`
  (a JSON type when present), and extension attributes (names of lowercase letters and
  digits, scalar values);
- `data`: a JSON object, or absent/null (then `{}`): it is the payload a policy reads as
  `event.data`, so anything else would only fail later, in the engine. `data_base64`
  (binary data) is refused for the same reason.
A request with any problem is refused whole: nothing of it is stored.
See docs/serve.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from agentctl.engine.events import MAX_DEPTH, parse_ts, too_deep

SINGLE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
Kind = Literal["single", "batch"]

REQUIRED = ("specversion", "id", "source", "type")
_OPTIONAL_STRINGS = ("subject", "dataschema", "datacontenttype")
_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}\Z")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII
)
_JSON_MEDIA = re.compile(r"(application|text)/(json|[^;\s]+\+json)\s*(;.*)?\Z", re.IGNORECASE)
TIME_HINT = "write an RFC 3339 time with a zone, e.g. 2026-03-01T08:00:00Z"


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """A valid event: what the queue stores. `time` as sent (RFC 3339) or None."""

    source: str
    id: str
    type: str
    time: str | None
    data: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)  # subject, extensions, ...


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a request or one event of it was refused: where (`index` in a batch, the
    `attribute`) and what."""

    message: str
    attribute: str | None = None
    index: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.index is not None:
            out["index"] = self.index
        if self.attribute is not None:
            out["attribute"] = self.attribute
        return out

    def __str__(self) -> str:
        where = []
        if self.index is not None:
            where.append(f"event {self.index}")
        if self.attribute is not None:
            where.append(f"'{self.attribute}'")
        return (", ".join(where) + ": " if where else "") + self.message


def media_kind(content_type: str | None) -> Kind | None:
    """`single` or `batch` for the two CloudEvents JSON media types (parameters such as
    `charset=utf-8` allowed), None for anything else (HTTP 415)."""
    if not content_type:
        return None
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", params, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        return None
    if media == SINGLE:
        return "single"
    if media == BATCH:
        return "batch"
    return None


def parse_body(kind: Kind, body: bytes) -> tuple[list[CloudEvent], list[Problem]]:
    """A request body of `kind` → its events, or the problems that refuse it (then no
    events: a request is taken whole or not at all)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return [], [Problem(f"the body is not JSON: {exc}")]
    if kind == "single":
        got = parse_event(value)
        return ([got], []) if isinstance(got, CloudEvent) else ([], got)
    if type(value) is not list:
        return [], [Problem(f"a batch is a JSON array of events, got {_json_type(value)}")]
    events: list[CloudEvent] = []
    problems: list[Problem] = []
    for i, item in enumerate(value):
        got = parse_event(item, i)
        if isinstance(got, CloudEvent):
            events.append(got)
        else:
            problems.extend(got)
    return ([], problems) if problems else (events, [])


def parse_line(line: bytes) -> CloudEvent | list[Problem]:
    """One line of JSONL (`agentctl serve --events`): a structured-mode event."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return [Problem(f"the line is not JSON: {exc}")]
    return parse_event(value)


def parse_event(value: Any, index: int | None = None) -> CloudEvent | list[Problem]:
    """One decoded JSON value → a CloudEvent, or every problem with it."""
    if type(value) is not dict:
        return [Problem(f"an event is a JSON object, got {_json_type(value)}", index=index)]
    problems: list[Problem] = []

    def bad(attribute: str, message: str) -> None:
        problems.append(Problem(message, attribute, index))

    for name in REQUIRED:
        v = value.get(name)
        if v is None:
            bad(name, "required attribute is missing")
        elif type(v) is not str:
            bad(name, f"must be a string, got {_json_type(v)}")
        elif not v:
            bad(name, "must not be empty")
    spec = value.get("specversion")
    if type(spec) is str and spec and spec != "1.0":
        bad("specversion", f"{spec!r} is not supported: agentctl takes CloudEvents 1.0")
    time = value.get("time")
    if time is not None:
        if type(time) is not str:
            bad("time", f"must be an RFC 3339 string, got {_json_type(time)}")
        elif not _RFC3339.match(time):
            bad("time", f"{time!r} is not an RFC 3339 time with a zone; {TIME_HINT}")
        else:
            try:
                parse_ts(time.upper())
            except (ValueError, OverflowError, OSError) as exc:
                bad("time", f"{time!r} is not a valid time ({exc}); {TIME_HINT}")
    for name in _OPTIONAL_STRINGS:
        v = value.get(name)
        if v is not None and (type(v) is not str or not v):
            bad(name, f"must be a non-empty string, got {_json_type(v)}")
    ctype = value.get("datacontenttype")
    if type(ctype) is str and ctype and not _JSON_MEDIA.match(ctype):
        bad("datacontenttype", f"{ctype!r} is not JSON: agentctl takes JSON data only")
    if value.get("data_base64") is not None:
        bad("data_base64", "binary data is not taken: send the payload as a JSON object in 'data'")
    data = value.get("data")
    if data is not None and type(data) is not dict:
        bad("data", f"must be a JSON object (the payload policies read), got {_json_type(data)}")
    elif data is not None and too_deep(data, MAX_DEPTH - 1):
        bad("data", f"nests deeper than {MAX_DEPTH} levels")
    extra: dict[str, Any] = {}
    for name, v in value.items():
        if name in REQUIRED or name in ("time", "data", "data_base64") or v is None:
            continue
        if name not in _OPTIONAL_STRINGS:
            if not _EXTENSION_NAME.match(name):
                bad(name, "an extension attribute's name is 1 to 20 lowercase letters or digits")
                continue
            if type(v) not in (str, int, float, bool):
                bad(
                    name,
                    f"an extension attribute is a string, number or boolean, got {_json_type(v)}",
                )
                continue
        extra[name] = v
    if problems:
        return problems
    return CloudEvent(
        source=value["source"],
        id=value["id"],
        type=value["type"],
        time=time.upper() if time is not None else None,  # t/z: the engine reads T/Z
        data=data if data is not None else {},
        extra=extra,
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) in (int, float):
        return "a number"
    if type(value) is str:
        return "a string"
    if type(value) is list:
        return "an array"
    return "an object"


def problems_json(problems: list[Problem]) -> bytes:
    """The body of a 400: `{"error": "invalid CloudEvents", "problems": [...]}`."""
    return orjson.dumps(
        {"error": "invalid CloudEvents", "problems": [p.to_json() for p in problems]}
    )
