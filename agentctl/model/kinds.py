"""The kinds: the contract between the YAML files and the code.

Every model is strict and forbids unknown fields; the loader turns pydantic's errors
into findings with a place and a "did you mean" hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from agentctl import DEFAULT_LEDGER
from agentctl.model.types import (
    Cel,
    CharterRef,
    DataClass,
    Date,
    Duration,
    Money,
    Name,
    OperationName,
    RoleRef,
    Scope,
    SuiteRef,
)


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, populate_by_name=False, use_enum_values=False
    )


class OneOf(Strict):
    """A choice written as a key: exactly one of the fields not in OTHER is set, and its
    name is the `type` (`runtime: {python: ...}` is a python runtime).

    The field names are the choices, written once: the validator, `type`, the JSON Schema
    (jsonschema.EXACTLY_ONE) and the runtime registries (RUNTIMES, TRANSPORTS, checked by
    tests/test_kinds.py) all read them from here.
    """

    WHAT: ClassVar[str] = "a choice"
    OTHER: ClassVar[frozenset[str]] = frozenset()  # settings shared by every choice

    @classmethod
    def choices(cls) -> tuple[str, ...]:
        return tuple(f for f in cls.model_fields if f not in cls.OTHER)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        fields = self.choices()
        present = [f for f in fields if getattr(self, f) is not None]
        if len(present) != 1:
            names = ", ".join(f"'{f}'" for f in fields)
            got = ", ".join(f"'{f}'" for f in present) or "none"
            raise ValueError(f"{self.WHAT} needs exactly one of {names} (got {got})")
        return self

    @property
    def type(self) -> str:
        return next(f for f in self.choices() if getattr(self, f) is not None)


# --- the envelope -------------------------------------------------------------------


class Metadata(Strict):
    name: Name
    owner: RoleRef | None = None
    description: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


# --- Role ----------------------------------------------------------------------------


class Approves(Strict):
    max_usd: Money = Field(description="the largest amount this role may approve alone")


class RoleSpec(Strict):
    members: list[str] = Field(default_factory=list, description="people who hold the role")
    approves: Approves | None = None
    reports_to: RoleRef | None = Field(None, description="where approvals escalate")


# --- Connector -----------------------------------------------------------------------


Effect = Literal["read", "write", "destructive"]


class HttpTransport(Strict):
    url: str
    timeout: Duration = timedelta(seconds=30)
    auth_env: str | None = Field(None, description="environment variable with a bearer token")


class Transport(OneOf):
    WHAT = "a transport"

    python: str | None = Field(
        None, description="a Python callable, package.module:function, found on python_path"
    )
    command: list[str] | None = Field(None, description="a command speaking JSON lines")
    http: HttpTransport | None = None
    fixture: str | None = Field(None, description="recorded responses (JSONL), workspace path")


class RateLimit(Strict):
    calls: int = Field(gt=0)
    per: Duration


class Operation(Strict):
    scope: Scope
    description: str | None = None
    effect: Effect = "read"
    data_classes: list[DataClass] = Field(default_factory=list)
    cost_usd: Money = Decimal(0)
    input_schema: dict[str, JsonValue] = Field(default_factory=lambda: {"type": "object"})  # type: ignore[arg-type]
    output_schema: dict[str, JsonValue] = Field(default_factory=lambda: {"type": "object"})  # type: ignore[arg-type]


class ConnectorSpec(Strict):
    transport: Transport
    rate_limit: RateLimit | None = None
    operations: dict[OperationName, Operation]


# --- Charter -------------------------------------------------------------------------


class ModelRuntime(Strict):
    base_url: str
    model: str
    system_prompt: str | None = None
    api_key_env: str | None = Field(None, description="environment variable holding the key")
    temperature: float | None = None
    max_tokens: int | None = None
    usd_per_1k_input_tokens: Money = Field(
        Decimal(0), description="price of 1,000 prompt tokens (counts against USD budgets)"
    )
    usd_per_1k_output_tokens: Money = Field(
        Decimal(0), description="price of 1,000 completion tokens (counts against USD budgets)"
    )


class Runtime(OneOf):
    WHAT = "a runtime"
    OTHER = frozenset({"env", "isolation", "sandbox", "max_line_bytes"})

    python: str | None = Field(
        None, description="a Python callable, package.module:function, found on python_path"
    )
    command: list[str] | None = None
    model: ModelRuntime | None = None
    env: dict[str, str] = Field(default_factory=dict)
    isolation: Literal["auto", "process", "in-process"] = Field(
        "auto",
        description="python runtimes: in a subprocess of its own (process) or inside agentctl "
        "(in-process: read-only charters only); auto: process when the charter can write",
    )
    sandbox: Literal["auto", "required"] = Field(
        "auto", description="required: refuse the run where bubblewrap cannot confine it"
    )
    max_line_bytes: int = Field(
        1 << 20, gt=0, description="the longest protocol line the agent may write"
    )

    @model_validator(mode="after")
    def _isolation_for_python(self) -> Runtime:
        if self.isolation != "auto" and self.python is None:
            raise ValueError("'isolation' applies to python runtimes only")
        return self


class Limits(Strict):
    usd: Money | None = None
    tokens: int | None = None
    steps: int | None = None
    tool_calls: int | None = None
    wall_time: Duration | None = None


class Budget(Strict):
    per_run: Limits = Field(default_factory=Limits)
    per_day: Limits = Field(default_factory=Limits)


class Gate(Strict):
    suite: SuiteRef
    min_pass_rate: float | None = None
    max_p95_latency: Duration | None = None
    max_cost_per_case_usd: Money | None = None


class Credential(Strict):
    issued: Date
    lifetime: Duration

    @property
    def expires(self) -> date:
        return self.issued + self.lifetime


class CharterSpec(Strict):
    scope: str = Field(description="the agent's job, in words")
    runtime: Runtime
    tools: list[Scope] = Field(default_factory=list, description="granted scopes; deny by default")
    data_classes: list[DataClass] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    gates: list[Gate] = Field(default_factory=list)
    escalation: list[RoleRef] = Field(default_factory=list)
    credential: Credential | None = None
    review_by: Date | None = Field(None, description="when the permissions must be reviewed")
    paused: bool = False
    # What the agent accepts and returns (JSON Schema): `run --input`, asks from other
    # agents and simulated policy actions are checked against them. None: any object.
    input_schema: dict[str, JsonValue] | None = None
    output_schema: dict[str, JsonValue] | None = None


# --- Policy --------------------------------------------------------------------------


class Incident(Strict):
    title: str
    severity: Literal["low", "medium", "high", "critical"] = "medium"


class Action(OneOf):
    WHAT = "an action"
    OTHER = frozenset({"input", "cost_usd", "value_usd", "message"})

    invoke: CharterRef | None = None
    escalate: RoleRef | None = None
    incident: Incident | None = None
    input: dict[str, Cel] | Cel | None = Field(
        None, description="CEL: one expression giving a map, or one expression per field"
    )
    cost_usd: Money | None = Field(None, description="cost estimate; default: charter per_run")
    value_usd: Cel | None = Field(
        None, description="CEL: the money this action commits (plan.value_usd; default cost)"
    )
    message: str | None = None


class Notify(Strict):
    """Where `agentctl serve` POSTs the human tasks a policy opens (escalate, incident),
    signed like intake: X-Agentctl-Signature: sha256=HMAC(secret, body)."""

    url: str = Field(description="http(s) URL the task is POSTed to")
    secret_env: str | None = Field(
        None, description="environment variable holding the HMAC secret (unset: unsigned)"
    )


class Approval(Strict):
    when: Cel = Field(description="CEL over `plan`, `event`, `metrics`")
    require: RoleRef


class Bounds(Strict):
    max_per_day: int | None = None
    max_per_hour: int | None = None


class PolicyBudget(Strict):
    per_day_usd: Money | None = None
    per_month_usd: Money | None = None


class PolicySpec(Strict):
    on: list[str] = Field(min_length=1, description="event types (a trailing * matches a prefix)")
    condition: Cel
    key: Cel | None = Field(
        None,
        description="CEL giving a string: the entity judged on its own (e.g. "
        "event.data.store + '/' + event.data.sku); for: and cooldown are kept per key",
    )
    for_: Duration | None = Field(None, alias="for")
    cooldown: Duration | None = None
    actions: list[Action] = Field(min_length=1)
    bounds: Bounds = Field(default_factory=Bounds)
    budget: PolicyBudget = Field(default_factory=PolicyBudget)
    approvals: list[Approval] = Field(default_factory=list)
    schedule: str | None = Field(
        None,
        description="cron (5 fields) in the workspace's timezone: `agentctl serve` queues an "
        "event of type agentctl.schedule.NAME at each firing (the policy must watch it)",
    )
    notify: Notify | None = Field(None, description="webhook for the human tasks it opens")


# --- Contract ------------------------------------------------------------------------


class Validity(Strict):
    from_: Date = Field(alias="from")
    until: Date


class CostCeiling(Strict):
    per_request_usd: Money | None = None
    per_day_usd: Money | None = None


class Sla(Strict):
    latency: Duration | None = None
    success_rate: float | None = None
    field_coverage: float | None = None
    fields: list[str] = Field(default_factory=list)


class Breach(Strict):
    escalate: RoleRef | None = None
    count_missed: bool = True


class ContractSpec(Strict):
    consumer: CharterRef
    provider: CharterRef
    scopes: list[Scope] = Field(min_length=1)
    cost_ceiling: CostCeiling = Field(default_factory=CostCeiling)
    valid: Validity | None = None
    sla: Sla = Field(default_factory=Sla)
    on_breach: Breach = Field(default_factory=Breach)


# --- EvalSuite -----------------------------------------------------------------------


class Case(Strict):
    id: str
    input: JsonValue = None
    assert_: list[Cel] = Field(default_factory=list, alias="assert")
    expect_denial: list[str] = Field(
        default_factory=list, description="scopes or data classes the guard must deny"
    )
    tags: list[str] = Field(default_factory=list)


class Thresholds(Strict):
    pass_rate: float = 1.0
    pass_rate_lower_bound: float | None = Field(
        None,
        description="the Wilson 95% interval's lower bound of the pass rate must reach this "
        "(meaningful with agentctl eval --repeat N)",
    )
    p95_latency: Duration | None = None
    cost_per_case_usd: Money | None = None


class Recording(Strict):
    # auto: replay a case's cassette when it exists, else live (docs/evals.md)
    mode: Literal["auto", "replay", "record", "live"] = "auto"
    dir: str | None = None


class EvalSuiteSpec(Strict):
    charter: CharterRef
    cases: list[Case] = Field(default_factory=list)
    cases_file: str | None = Field(None, description="JSONL of cases, relative to this file")
    thresholds: Thresholds = Field(default_factory=Thresholds)
    recording: Recording = Field(default_factory=Recording)


# --- Scenario (simulator) ------------------------------------------------------------


class Expectation(Strict):
    policy: str = Field(description="policy name or policy/NAME")
    outcome: str = Field(
        description="fired, needs_approval, escalated, error, suppressed or suppressed:REASON"
    )
    at: str | None = Field(None, description="RFC 3339 time of the deciding event")
    between: list[str] | None = Field(None, description="[from, to] RFC 3339, inclusive")
    count: int | None = Field(None, ge=0, description="exactly this many (default: at least 1)")
    key: str | None = Field(None, description="only the decisions for this key (a keyed policy)")


class ScenarioSpec(Strict):
    events: str = Field(description="JSONL (optionally .gz) of events, relative to this file")
    policies: list[str] = Field(
        default_factory=list, description="names of the policies to replay; empty: all policies"
    )
    expect: list[Expectation] = Field(default_factory=list)


# --- Workspace settings (agentctl.yaml) ----------------------------------------------


class Defaults(Strict):
    timezone: str = "UTC"
    currency: Literal["USD"] = "USD"


class Environment(Strict):
    after: Name | None = Field(
        None, description="the environment whose versions must be applied first (promotion)"
    )
    description: str | None = Field(None, description="what the environment is for")


_ENV_VAR_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ServeSettings(Strict):
    """`agentctl serve`: where its secrets are (names of environment variables, never the
    secrets themselves: agentctl.yaml is in git)."""

    secret_env: str | None = Field(
        None,
        pattern=_ENV_VAR_NAME,
        description="the environment variable holding the HMAC-SHA256 secret that signs "
        "events (X-Agentctl-Signature)",
    )
    token_env: str | None = Field(
        None,
        pattern=_ENV_VAR_NAME,
        description="the environment variable holding a bearer token senders may use instead",
    )


class WorkspaceSpec(Strict):
    ledger: str = DEFAULT_LEDGER
    # A list of names, or a map of names to settings (promotion order through `after`);
    # absent: one environment, `default` (agentctl/deploy/state.py `environments`).
    environments: list[Name] | dict[Name, Environment] | None = Field(
        None, description="where deployments go: names, or names with a promotion order"
    )
    exclude: list[str] = Field(default_factory=list, description="globs of paths not to read")
    python_path: list[str] = Field(default_factory=lambda: ["."])
    defaults: Defaults = Field(default_factory=Defaults)
    sandbox: Literal["auto", "required"] = Field(
        "auto", description="required: every agent process must run in bubblewrap"
    )
    serve: ServeSettings = Field(
        default_factory=ServeSettings, description="agentctl serve: how senders authenticate"
    )
    notify: Notify | None = Field(
        None, description="webhook for human tasks of policies without their own notify"
    )

    @model_validator(mode="after")
    def _promotion(self) -> Self:
        """`after` names a declared environment, and the promotion order has no cycle."""
        envs = self.environments
        if isinstance(envs, list):
            dupes = sorted({e for e in envs if envs.count(e) > 1})
            if dupes:
                raise ValueError(f"environment {dupes[0]!r} is listed twice")
        if not isinstance(envs, dict):
            return self
        for name, env in envs.items():
            if env.after is not None and env.after not in envs:
                raise ValueError(
                    f"environment {name!r}: after {env.after!r} is not a declared environment"
                )
        for name in envs:
            seen = [name]
            at = envs[name].after
            while at is not None:
                if at in seen:
                    raise ValueError(f"environments: promotion order loops ({' -> '.join(seen)})")
                seen.append(at)
                at = envs[at].after
        return self


# --- documents -----------------------------------------------------------------------


class Document(Strict):
    api_version: Literal["agentctl/v1"] = Field(alias="apiVersion")
    kind: str
    metadata: Metadata


class RoleDoc(Document):
    kind: Literal["Role"]
    spec: RoleSpec = Field(default_factory=RoleSpec)


class ConnectorDoc(Document):
    kind: Literal["Connector"]
    spec: ConnectorSpec


class CharterDoc(Document):
    kind: Literal["Charter"]
    spec: CharterSpec


class PolicyDoc(Document):
    kind: Literal["Policy"]
    spec: PolicySpec


class ContractDoc(Document):
    kind: Literal["Contract"]
    spec: ContractSpec


class EvalSuiteDoc(Document):
    kind: Literal["EvalSuite"]
    spec: EvalSuiteSpec


class ScenarioDoc(Document):
    kind: Literal["Scenario"]
    spec: ScenarioSpec


class WorkspaceDoc(Document):
    kind: Literal["Workspace"]
    spec: WorkspaceSpec = Field(default_factory=WorkspaceSpec)


@dataclass(frozen=True)
class Kind:
    """One kind and what every part of agentctl needs to know about it.

    Adding a kind: its Doc model, an entry here, then what tests/test_kinds.py asks for
    (an inventory fact, an example in `agentctl init`, ...).
    """

    model: type[Document]
    description: str  # the schema's description and `agentctl schema`'s index
    plural: str = ""  # default: the name + "s"
    aliases: tuple[str, ...] = ()  # more words the commands accept, lowercase
    resource: bool = True  # False: settings (agentctl.yaml), not listed by inventory

    @property
    def name(self) -> str:
        """The `kind:` value, read from the model's Literal so it is written once."""
        return str(get_args(self.model.model_fields["kind"].annotation)[0])

    @property
    def plural_name(self) -> str:
        return self.plural or self.name + "s"


_REGISTRY = [
    Kind(
        RoleDoc,
        "A human role: its members, what it may approve (approves.max_usd) and whom it "
        "reports to. Owners, approvers and escalation targets are Roles.",
    ),
    Kind(
        ConnectorDoc,
        "An adapter to a system: its operations (each with the scope it needs, its "
        "effect, the data classes it touches and a cost per call), a rate limit and a "
        "transport (a Python callable, a command, HTTP or a recorded fixture).",
    ),
    Kind(
        CharterDoc,
        "One agent's job description and machine principal: scope, runtime, the "
        "connector scopes it may use (deny by default), the data classes it may touch, a "
        "budget, the eval suites that gate it, an escalation path, a credential and a "
        "review date.",
    ),
    Kind(
        PolicyDoc,
        "A KPI or event rule: the event types it watches, a CEL condition over event, "
        "metrics and state, how long it must hold (for), a cooldown, actions, bounds, a "
        "budget and an approvals graph.",
        plural="Policies",
    ),
    Kind(
        ContractDoc,
        "A compact between two charters: consumer, provider, scopes, a cost ceiling, "
        "a validity period, an SLA and what a breach does.",
    ),
    Kind(
        EvalSuiteDoc,
        "Cases for a charter (input, CEL assertions over output, trace and input, "
        "expected denials), thresholds, and how responses are recorded and replayed.",
        aliases=("suite", "suites", "eval", "evals"),
    ),
    Kind(
        ScenarioDoc,
        "A simulator scenario: a recorded event stream, the policies to replay it "
        "through, and the outcomes expected.",
    ),
    Kind(
        WorkspaceDoc,
        "The workspace settings (agentctl.yaml at the workspace root): ledger path, "
        "paths not to read, the Python import path and defaults.",
        resource=False,
    ),
]

# The one registry of kinds, in the order commands list them.
REGISTRY: dict[str, Kind] = {k.name: k for k in _REGISTRY}
KINDS: dict[str, type[Document]] = {name: k.model for name, k in REGISTRY.items()}
RESOURCE_KINDS: list[str] = [name for name, k in REGISTRY.items() if k.resource]


def kind_named(text: str, among: list[str] | None = None) -> str | None:
    """`charter`, `Charters`, `suites` → the kind (of `among`, default all); else None.

    The one parser of kind names on the command line (inventory, schema).
    """
    low = text.strip().lower()
    for name in among if among is not None else REGISTRY:
        k = REGISTRY[name]
        if low in (name.lower(), k.plural_name.lower(), *k.aliases):
            return name
    return None


# The reference prefix of each kind (`role/…`, `evalsuite/…`).
REF_PREFIX: dict[str, str] = {kind: kind.lower() for kind in KINDS}
