"""Raw documents → validated models, or findings that point at the offending key."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from agentctl import API_VERSION
from agentctl.findings import Finding, Location, Severity
from agentctl.model.kinds import KINDS, Document
from agentctl.positions import YMap, key_path, position


def did_you_mean(word: str, options: typing.Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that owns the last key of `loc` (for listing its allowed fields)."""
    current: Any = model
    for part in loc[:-1]:
        current = _descend(current, part)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_by_alias(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return info.annotation
    return None


def _descend(tp: Any, part: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if not isinstance(part, str):
            return None
        return _unwrap(_field_by_alias(tp, part))
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (list, tuple) and args:
        return _unwrap(args[0])
    if origin is dict and len(args) == 2:
        return _unwrap(args[1])
    return None


def _unwrap(tp: Any) -> Any:
    """Strip Optional/Annotated/unions down to the one model or container they hold."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
            containers = [a for a in inner if typing.get_origin(a) in (list, dict)]
            if models:
                tp = models[0]
            elif containers:
                tp = containers[0]
            elif inner:
                tp = inner[0]
            else:
                return None
            continue
        return tp


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _clean(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg[:1].lower() + msg[1:] if msg else msg


def _loc(file: str, rev: str | None, raw: Any, loc: tuple[Any, ...], key: bool) -> Location:
    pos = position(raw, loc, key=key) or (1, 1)
    return Location(file, pos[0], pos[1], rev)


def _key_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The document's key path of a pydantic error location."""
    loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
    # pydantic adds union member names (e.g. 'str', 'dict[str,str]') to loc: drop them.
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in _TYPE_TAGS)))


def validation_findings(
    exc: ValidationError, model: type[BaseModel], raw: Any, file: str, rev: str | None, ref: str
) -> list[Finding]:
    findings = []
    for err in exc.errors(include_url=False):
        loc = _key_loc(err["loc"])
        path = key_path(loc)
        etype = err["type"]
        if etype == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            owner = _model_at(model, loc)
            options = allowed_keys(owner) if owner else []
            hint = did_you_mean(key, options)
            if not hint and options:
                hint = "allowed here: " + ", ".join(sorted(options))
            findings.append(
                Finding(
                    "unknown-field",
                    Severity.ERROR,
                    f"unknown field {path!r}",
                    _loc(file, rev, raw, loc, True),
                    hint,
                    path,
                    ref,
                )
            )
        elif etype == "missing":
            findings.append(
                Finding(
                    "missing-field",
                    Severity.ERROR,
                    f"missing required field {path!r}",
                    _loc(file, rev, raw, loc, False),
                    f"add '{loc[-1]}:' here" if loc else None,
                    path,
                    ref,
                )
            )
        else:
            findings.append(
                Finding(
                    "schema",
                    Severity.ERROR,
                    f"{path}: {_clean(err['msg'])}" if path else _clean(err["msg"]),
                    _loc(file, rev, raw, loc, False),
                    _hint_for(err),
                    path,
                    ref,
                )
            )
    return findings


_TYPE_TAGS = {"str", "int", "float", "bool", "function-after", "function-before", "list", "dict"}


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _hint_for(err: Any) -> str | None:
    etype = err["type"]
    if etype in ("string_type", "int_type", "float_type", "bool_type"):
        want = etype.split("_")[0]
        got = _a(type(err.get("input")).__name__)
        if want == "string":
            return f"got {got}: quote the value to make it a string"
        return f"expected {_a(want)}, got {got}"
    if etype == "literal_error":
        return "use one of the values listed"
    if etype in ("list_type", "dict_type", "model_type"):
        want = {"list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping"}[etype]
        return f"write {want} here"
    return None


def validate_document(
    raw: Any, file: str, rev: str | None, doc_line: int
) -> tuple[Document | None, list[Finding]]:
    """Check the envelope, choose the model by `kind`, validate. Never raises."""
    if not isinstance(raw, YMap):
        got = "a list" if isinstance(raw, list) else f"the value {raw!r}"
        return None, [
            Finding(
                "not-a-mapping",
                Severity.ERROR,
                f"a document must be a mapping with apiVersion, kind, metadata and spec; got {got}",
                Location(file, doc_line, 1, rev),
                "start the document with 'apiVersion: agentctl/v1'",
            )
        ]
    api = raw.get("apiVersion")
    kind = raw.get("kind")
    findings: list[Finding] = []
    if "apiVersion" not in raw:
        findings.append(
            Finding(
                "missing-field",
                Severity.ERROR,
                "missing required field 'apiVersion'",
                Location(file, raw.pos[0], raw.pos[1], rev),
                f"add 'apiVersion: {API_VERSION}', or exclude this file in agentctl.yaml",
                "apiVersion",
            )
        )
    elif api != API_VERSION:
        findings.append(
            Finding(
                "unknown-api-version",
                Severity.ERROR,
                f"unknown apiVersion {api!r}",
                _loc(file, rev, raw, ("apiVersion",), False),
                f"this version of agentctl reads '{API_VERSION}'",
                "apiVersion",
            )
        )
    if "kind" not in raw:
        findings.append(
            Finding(
                "missing-field",
                Severity.ERROR,
                "missing required field 'kind'",
                Location(file, raw.pos[0], raw.pos[1], rev),
                "add 'kind:' with one of: " + ", ".join(KINDS),
                "kind",
            )
        )
    elif not isinstance(kind, str) or kind not in KINDS:
        hint = did_you_mean(str(kind), KINDS) or ("kinds: " + ", ".join(KINDS))
        findings.append(
            Finding(
                "unknown-kind",
                Severity.ERROR,
                f"unknown kind {kind!r}",
                _loc(file, rev, raw, ("kind",), False),
                hint,
                "kind",
            )
        )
    if findings:
        return None, findings
    assert isinstance(kind, str)
    model = KINDS[kind]
    name = raw.get("metadata", {}).get("name") if isinstance(raw.get("metadata"), dict) else None
    ref = f"{kind.lower()}/{name}" if isinstance(name, str) else None
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        findings = validation_findings(exc, model, raw, file, rev, ref or "")
        unknown = [_key_loc(e["loc"]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        if len(unknown) < exc.error_count():
            return None, findings
    # Only unknown fields: keep the resource, validated without them (the findings stay
    # errors). Dropping it would turn every reference to it, and from it, into knock-on
    # findings (an unused connector, an unknown charter) that are not the user's mistake.
    try:
        return model.model_validate(_without(raw, unknown)), findings
    except ValidationError:  # a key path that does not walk back (a union member): drop it
        return None, findings


def _without(raw: Any, locs: list[tuple[Any, ...]]) -> Any:
    """A copy of `raw` without the keys at `locs` (the original keeps its positions)."""
    drop: dict[Any, Any] = {}
    # Shortest first: union members can report one key and a key below it (one member
    # knows the outer key, another does not); the outer drop covers the inner one.
    for loc in sorted((loc for loc in locs if loc), key=len):
        node: dict[Any, Any] | None = drop
        for part in loc[:-1]:
            node = node.setdefault(part, {}) if node is not None else None
        if node is not None:  # (None: a key above it is dropped whole already)
            node[loc[-1]] = None

    def copy(value: Any, plan: dict[Any, Any] | None) -> Any:
        if plan is None:
            return value
        if isinstance(value, dict):
            return {k: copy(v, plan.get(k)) for k, v in value.items() if plan.get(k, 1) is not None}
        if isinstance(value, list):
            return [copy(v, plan.get(i)) for i, v in enumerate(value)]
        return value

    return copy(raw, drop)
