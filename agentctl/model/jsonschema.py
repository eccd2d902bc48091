"""JSON Schemas of the kinds, generated from the pydantic models, published as draft-07.

pydantic emits draft 2020-12; the YAML language server (the editor completion that the
`# yaml-language-server: $schema=...` modeline turns on) understands draft-07 best. So the
generated schema is rewritten: `$defs` becomes `definitions`, a `$ref` with siblings is
wrapped in `allOf` (draft-07 ignores a `$ref`'s siblings), `prefixItems` becomes the array
form of `items`, and the model validators that JSON Schema can express (exactly one
transport, runtime or action type) become `oneOf`.

Pure: no disk, no clock. The CLI (`agentctl schema`) writes the files.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from agentctl.model.kinds import KINDS, REGISTRY, OneOf, kind_named
from agentctl.model.types import format_duration

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
COMBINED = "agentctl"  # agentctl.schema.json: any document, chosen by its `kind`

# file stem → kind: role.schema.json holds the schema of `kind: Role`
STEMS: dict[str, str] = {kind.lower(): kind for kind in KINDS}

# Descriptions for fields the models leave undocumented, keyed by (model, key as written).
# tests/schema checks that every entry still names a real field.
FIELD_DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Document", "apiVersion"): "always agentctl/v1",
    ("Document", "kind"): "what this document is; decides the rest of its shape",
    ("Document", "metadata"): "name (unique per kind), owner, description, labels",
    ("Document", "spec"): "the settings of this kind",
    ("Metadata", "name"): "unique per kind; lowercase letters, digits and '-' (DNS label)",
    ("Metadata", "owner"): "the Role accountable for this resource: role/NAME",
    ("Metadata", "description"): "one or two sentences for humans",
    ("Metadata", "labels"): "free-form key/value pairs for grouping and selection",
    ("Metadata", "annotations"): "free-form key/value notes that tools may read",
    ("RoleSpec", "approves"): "what this role may sign off alone",
    ("HttpTransport", "url"): "the endpoint that receives each operation as a JSON POST",
    ("HttpTransport", "timeout"): "how long one call may take",
    ("Transport", "http"): "call an HTTP endpoint",
    ("RateLimit", "calls"): "how many calls are allowed ...",
    ("RateLimit", "per"): "... per this period",
    ("Operation", "scope"): "the scope a charter must be granted to call this operation",
    ("Operation", "description"): "what the operation does",
    ("Operation", "effect"): "read, write (changes state) or destructive (cannot be undone)",
    ("Operation", "data_classes"): "the data classes the operation touches, e.g. pii.ssn",
    ("Operation", "cost_usd"): "cost per call",
    ("Operation", "input_schema"): "JSON Schema of the operation's input",
    ("Operation", "output_schema"): "JSON Schema of the operation's output",
    ("ConnectorSpec", "transport"): "how calls reach the system: exactly one transport",
    ("ConnectorSpec", "rate_limit"): "calls allowed per period, across all charters",
    ("ConnectorSpec", "operations"): "operation name → its scope, effect, data and cost",
    ("ModelRuntime", "base_url"): "an OpenAI-compatible endpoint, e.g. http://localhost:8000/v1",
    ("ModelRuntime", "model"): "the model name the endpoint serves",
    ("ModelRuntime", "system_prompt"): "the system prompt; the charter's scope if unset",
    ("ModelRuntime", "temperature"): "sampling temperature",
    ("ModelRuntime", "max_tokens"): "the most tokens one completion may produce",
    ("Runtime", "command"): "a command speaking JSON lines on stdin/stdout",
    ("Runtime", "model"): "an OpenAI-compatible model endpoint with tool calling",
    ("Runtime", "env"): "environment variables for the agent",
    ("Limits", "usd"): "the most it may spend",
    ("Limits", "tokens"): "the most model tokens it may use",
    ("Limits", "steps"): "the most agent steps",
    ("Limits", "tool_calls"): "the most connector calls",
    ("Limits", "wall_time"): "the longest it may run",
    ("Budget", "per_run"): "hard limits for one run",
    ("Budget", "per_day"): "hard limits across a day",
    ("Gate", "suite"): "an eval suite that tests this charter: evalsuite/NAME",
    ("Gate", "min_pass_rate"): "the pass rate the suite must reach (0 to 1)",
    ("Gate", "max_p95_latency"): "the slowest 95th-percentile case latency allowed",
    ("Gate", "max_cost_per_case_usd"): "the most a case may cost on average",
    ("Credential", "issued"): "when the agent's credential was issued (YYYY-MM-DD)",
    ("Credential", "lifetime"): "how long it is valid, e.g. 90d",
    ("CharterSpec", "runtime"): "how the agent runs: exactly one of python, command, model",
    ("CharterSpec", "data_classes"): "the data classes the agent may touch; deny by default",
    ("CharterSpec", "budget"): "hard stops per run and per day",
    ("CharterSpec", "gates"): "eval suites that must pass before a deployment",
    ("CharterSpec", "escalation"): "roles to notify, in order, when the agent is stuck",
    ("CharterSpec", "credential"): "the agent's machine credential and its lifetime",
    ("CharterSpec", "paused"): "a paused charter refuses to run",
    ("CharterSpec", "input_schema"): "JSON Schema of the task input (run, asks, policy actions)",
    ("CharterSpec", "output_schema"): "JSON Schema of the agent's output",
    ("Incident", "title"): "a one-line summary for whoever handles the incident",
    ("Incident", "severity"): "low, medium, high or critical",
    ("Action", "invoke"): "run a charter: charter/NAME",
    ("Action", "escalate"): "notify a role: role/NAME",
    ("Action", "incident"): "open an incident",
    ("Action", "message"): "a message for the people notified",
    ("Approval", "require"): "the role that must approve: role/NAME",
    ("Bounds", "max_per_day"): "the most times the policy may fire in a day",
    ("Bounds", "max_per_hour"): "the most times the policy may fire in an hour",
    ("PolicyBudget", "per_day_usd"): "the most the policy's actions may cost in a day",
    ("PolicyBudget", "per_month_usd"): "the most the policy's actions may cost in a month",
    ("PolicySpec", "condition"): "CEL over event, metrics and state; true fires the policy",
    ("PolicySpec", "for"): "how long the condition must hold before the policy fires",
    ("PolicySpec", "cooldown"): "how long after firing before it may fire again",
    ("PolicySpec", "actions"): "what firing does, in order: invoke, escalate or incident",
    ("PolicySpec", "bounds"): "how often the policy may fire",
    ("PolicySpec", "budget"): "how much its actions may cost",
    ("PolicySpec", "approvals"): "when a plan needs a human: a CEL condition and a role",
    ("Validity", "from"): "first day of validity (YYYY-MM-DD)",
    ("Validity", "until"): "last day of validity (YYYY-MM-DD)",
    ("CostCeiling", "per_request_usd"): "the most one request may cost",
    ("CostCeiling", "per_day_usd"): "the most the requests of a day may cost",
    ("Sla", "latency"): "the longest a response may take",
    ("Sla", "success_rate"): "the share of requests that must succeed (0 to 1)",
    ("Sla", "field_coverage"): "the share of the listed fields a response must fill (0 to 1)",
    ("Sla", "fields"): "the response fields that field_coverage counts",
    ("Breach", "escalate"): "the role notified of a breach: role/NAME",
    ("Breach", "count_missed"): "count a breach as a missed service against the provider",
    ("ContractSpec", "consumer"): "the charter that asks: charter/NAME",
    ("ContractSpec", "provider"): "the charter that answers: charter/NAME",
    ("ContractSpec", "scopes"): "what the consumer may ask the provider for",
    ("ContractSpec", "cost_ceiling"): "the most the consumer's requests may cost",
    ("ContractSpec", "valid"): "the period in which the contract holds",
    ("ContractSpec", "sla"): "latency, success rate and field coverage the provider promises",
    ("ContractSpec", "on_breach"): "what a missed SLA does",
    ("Case", "id"): "unique within the suite; names the case in reports and recordings",
    ("Case", "input"): "what the agent is run with: any JSON value",
    ("Case", "assert"): "CEL over output, trace and input; every one must be true",
    ("Case", "tags"): "free-form tags for selecting cases",
    ("Thresholds", "pass_rate"): "the share of cases that must pass (0 to 1)",
    ("Thresholds", "p95_latency"): "the slowest 95th-percentile latency allowed",
    ("Thresholds", "cost_per_case_usd"): "the most a case may cost on average",
    ("Recording", "mode"): "auto (replay a case's cassette when it exists, else live), "
    "replay (a missing cassette is an error), record, or live",
    ("Recording", "dir"): "where cassettes live, relative to the workspace root "
    "(default: recordings/SUITE beside the suite's file)",
    ("EvalSuiteSpec", "charter"): "the charter under test: charter/NAME",
    ("EvalSuiteSpec", "cases"): "the cases, inline",
    ("EvalSuiteSpec", "thresholds"): "what the suite must reach to pass",
    ("EvalSuiteSpec", "recording"): "how model and connector answers are recorded and "
    "replayed (cassettes)",
    ("ScenarioSpec", "expect"): "outcomes the simulation must produce",
    ("Defaults", "timezone"): "the timezone for days and schedules (IANA name)",
    ("Defaults", "currency"): "the currency of every amount",
    ("WorkspaceSpec", "ledger"): "where the trace ledger lives (SQLite), relative to the root",
    ("WorkspaceSpec", "python_path"): "folders python: runtimes and transports import from",
    ("WorkspaceSpec", "defaults"): "defaults for every resource",
}


def field_description(model: type[BaseModel], key: str) -> str | None:
    """The description of `model`'s field `key` (as written in YAML): the model's own, else
    FIELD_DESCRIPTIONS (looked up along the model's bases: RoleDoc's `kind` is Document's)."""
    for name, f in model.model_fields.items():
        if (f.alias or name) == key and f.description:
            return f.description
    for cls in model.__mro__:
        text = FIELD_DESCRIPTIONS.get((cls.__name__, key))
        if text:
            return text
    return None


# Models whose validator demands exactly one of these fields (see kinds._exactly_one).
EXACTLY_ONE: dict[str, tuple[str, ...]] = {m.__name__: m.choices() for m in OneOf.__subclasses__()}

# Keywords that draft-07 does not know; none may survive the conversion.
NOT_DRAFT_07 = frozenset(
    {
        "$defs",
        "prefixItems",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
        "unevaluatedItems",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "minContains",
        "maxContains",
        "discriminator",
    }
)


class SchemaError(Exception):
    """The generated schema cannot be expressed in draft-07 (a bug in the models or here)."""


class _Generator(GenerateJsonSchema):
    """pydantic's generator with defaults written the way YAML users write them."""

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, timedelta):
            return format_duration(dft)
        if isinstance(dft, Decimal):
            return int(dft) if dft == dft.to_integral_value() else float(dft)
        if isinstance(dft, date):
            return dft.isoformat()
        return super().encode_default(dft)

    def field_title_should_be_set(self, schema: Any) -> bool:
        # "Max Pass Rate" under max_pass_rate says nothing; editors show the description.
        return False


MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$", re.MULTILINE)


def modeline(text: str) -> str | None:
    """The `$schema=` target of a YAML file's `# yaml-language-server:` comment, if any."""
    m = MODELINE.search(text)
    return m.group(1) if m else None


def kinds() -> list[str]:
    """The schema names: one per kind (lowercase), and `agentctl` for any document."""
    return [*STEMS, COMBINED]


def kind_of(name: str) -> str | None:
    """`charter`, `Charter`, `charters`, `suite` → its stem; `agentctl`/`all` → `agentctl`."""
    if name.strip().lower() in (COMBINED, "all", "any"):
        return COMBINED
    kind = kind_named(name)
    return None if kind is None else kind.lower()


def filename(stem: str) -> str:
    return f"{stem}.schema.json"


def schema_for(stem: str) -> dict[str, Any]:
    """The draft-07 schema of one kind (`charter`), or of any document (`agentctl`)."""
    if stem == COMBINED:
        return combined_schema()
    kind = STEMS[stem]
    model = KINDS[kind]
    raw = model.model_json_schema(by_alias=True, schema_generator=_Generator)
    defs = raw.pop("$defs", {})
    doc = _document(raw, kind)
    return _publish(
        {
            "title": f"agentctl {kind}",
            "description": REGISTRY[kind].description,
            **doc,
        },
        defs,
    )


def combined_schema() -> dict[str, Any]:
    """Any agentctl document: the envelope, then the schema of its `kind` (if/then)."""
    models: list[type[BaseModel]] = list(KINDS.values())
    refs, top = models_json_schema(
        [(m, "validation") for m in models], by_alias=True, schema_generator=_Generator
    )
    defs = dict(top.get("$defs", {}))
    branches = []
    for kind, model in KINDS.items():
        ref = refs[(model, "validation")]["$ref"]
        name = ref.rsplit("/", 1)[-1]
        defs[name] = _document(defs[name], kind)
        branches.append(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"$ref": ref},
            }
        )
    return _publish(
        {
            "title": "agentctl document",
            "description": "Any agentctl document (" + ", ".join(KINDS) + "), chosen by "
            "its kind. Per-kind schemas: <kind>.schema.json.",
            "type": "object",
            "required": ["apiVersion", "kind", "metadata"],
            "properties": {
                "apiVersion": {
                    "const": "agentctl/v1",
                    "type": "string",
                    "description": FIELD_DESCRIPTIONS[("Document", "apiVersion")],
                },
                "kind": {
                    "enum": list(KINDS),
                    "type": "string",
                    "description": FIELD_DESCRIPTIONS[("Document", "kind")],
                },
            },
            "allOf": branches,
        },
        defs,
    )


def all_schemas() -> dict[str, dict[str, Any]]:
    """file name → schema, for every kind and the combined one."""
    return {filename(stem): schema_for(stem) for stem in kinds()}


def dumps(schema: dict[str, Any]) -> str:
    """The bytes written to disk: stable, two-space indented, one trailing newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def index() -> list[tuple[str, str, str]]:
    """(name, file, description) of every schema, for `agentctl schema` without a kind."""
    rows = [(stem, filename(stem), REGISTRY[kind].description) for stem, kind in STEMS.items()]
    rows.append((COMBINED, filename(COMBINED), "Any agentctl document, chosen by its kind."))
    return rows


# --- the conversion -------------------------------------------------------------------


def _document(schema: dict[str, Any], kind: str) -> dict[str, Any]:
    """A kind's top-level model: `kind` a const, and the envelope fields described."""
    out = dict(schema)
    out.pop("title", None)
    props = dict(out.get("properties", {}))
    props["kind"] = {"const": kind, "type": "string"}
    for key in ("apiVersion", "kind", "metadata", "spec"):
        if key in props:
            props[key] = {**props[key], "description": FIELD_DESCRIPTIONS[("Document", key)]}
    out["properties"] = props
    return out


# The order of a schema's top-level keys: what a reader looks for first.
TOP_ORDER = ("$schema", "title", "description", "type", "required", "properties")


def _publish(top: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    definitions = {name: _describe(name, _convert(d)) for name, d in sorted(defs.items())}
    for name, fields in EXACTLY_ONE.items():
        if name in definitions:
            definitions[name] = _exactly_one(definitions[name], fields)
    if "properties" in top:
        top = {**top, "properties": _describe_props("Document", top["properties"])}
    body: dict[str, Any] = {"$schema": DRAFT_07, **_convert(top)}
    out = {k: body[k] for k in TOP_ORDER if k in body}
    out.update((k, v) for k, v in body.items() if k not in out)
    if definitions:
        out["definitions"] = definitions
    _check_draft_07(out)
    return out


def _convert(node: Any) -> Any:
    """2020-12 → draft-07, recursively."""
    if isinstance(node, list):
        return [_convert(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions", "$defs"):
            out["definitions" if key == "$defs" else key] = {
                k: _convert(v) for k, v in value.items()
            }
        elif key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/$defs/", "#/definitions/")
        elif key == "discriminator":
            continue  # an OpenAPI hint; the anyOf/oneOf beside it does the work
        else:
            out[key] = _convert(value)
    if "prefixItems" in out:
        tail = out.pop("items", None)
        out["items"] = out.pop("prefixItems")
        out["additionalItems"] = tail if tail is not None else False
    pattern_props = out.get("patternProperties")
    if (
        isinstance(pattern_props, dict)
        and len(pattern_props) == 1
        and "additionalProperties" not in out
        and "properties" not in out
    ):
        # dict[Name, X]: keys must match, and every value is an X. With propertyNames the
        # editor still completes the values, and a badly named key is an error, as in the model.
        ((pattern, value_schema),) = pattern_props.items()
        del out["patternProperties"]
        out["propertyNames"] = {"pattern": pattern}
        out["additionalProperties"] = value_schema
    if "$ref" in out and len(out) > 1:
        # draft-07 ignores everything beside a $ref
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}], **out}
    return out


def _describe(model: str, schema: dict[str, Any]) -> dict[str, Any]:
    if "properties" not in schema:
        return schema
    return {**schema, "properties": _describe_props(model, schema["properties"])}


def _describe_props(model: str, props: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, prop in props.items():
        text = FIELD_DESCRIPTIONS.get((model, key))
        if text and "description" not in prop:
            prop = _convert({**prop, "description": text})
        out[key] = prop
    return out


def _exactly_one(schema: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The model counts the fields present and not null; exactly one branch may match."""
    branches = [{"required": [f], "properties": {f: {"not": {"type": "null"}}}} for f in fields]
    return {**schema, "oneOf": branches}


def _check_draft_07(node: Any, path: str = "#") -> None:
    if isinstance(node, list):
        for i, v in enumerate(node):
            _check_draft_07(v, f"{path}/{i}")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in NOT_DRAFT_07:
                raise SchemaError(f"{path}: {key!r} is not a draft-07 keyword")
            if key == "$ref" and not str(value).startswith("#/definitions/"):
                raise SchemaError(f"{path}: $ref {value!r} does not point into definitions")
            if key in ("properties", "definitions"):
                for k, v in value.items():
                    _check_draft_07(v, f"{path}/{key}/{k}")
            else:
                _check_draft_07(value, f"{path}/{key}")
