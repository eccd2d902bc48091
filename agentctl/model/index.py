"""The indexed, cross-referenced Workspace: every resource by kind and name."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from agentctl.findings import Location
from agentctl.model.kinds import (
    REF_PREFIX,
    Action,
    CharterDoc,
    ConnectorDoc,
    ContractDoc,
    Document,
    EvalSuiteDoc,
    Operation,
    PolicyDoc,
    RoleDoc,
    ScenarioDoc,
    WorkspaceSpec,
)
from agentctl.positions import position

D = TypeVar("D", bound=Document)
PREFIX_KIND = {prefix: kind for kind, prefix in REF_PREFIX.items()}


@dataclass(frozen=True, eq=False)
class Resource(Generic[D]):
    """One validated document and where it came from."""

    doc: D
    file: str
    index: int  # which document in its file
    raw: Any  # the YMap it was validated from: positions for findings
    digest: str  # sha256 of the canonical JSON of the document: its content version
    rev: str | None = None

    @property
    def kind(self) -> str:
        return self.doc.kind

    @property
    def name(self) -> str:
        return self.doc.metadata.name

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX[self.kind]}/{self.name}"

    def location(self, *path: str | int, key: bool = False) -> Location:
        """Where `path` (e.g. "spec", "budget", "per_run") sits in the file; the closest known."""
        pos = position(self.raw, tuple(path), key=key) or (1, 1)
        return Location(self.file, pos[0], pos[1], self.rev)


@dataclass(frozen=True)
class OperationRef:
    connector: Resource[ConnectorDoc]
    name: str
    op: Operation

    @property
    def qualified(self) -> str:
        return f"{self.connector.name}.{self.name}"


@dataclass(frozen=True)
class Permission:
    """One operation a charter can reach, and the grants (`tools:` entries) that reach it."""

    operation: str  # connector.operation
    connector: str
    scope: str
    effect: str  # read | write | destructive
    data_classes: tuple[str, ...]
    grants: tuple[str, ...]
    ref: OperationRef = field(compare=False, repr=False)

    @property
    def writes(self) -> bool:
        return self.effect != "read"


@dataclass
class Workspace:
    """What the loader produced: resources indexed by kind and name, settings, and file paths."""

    settings: WorkspaceSpec = field(default_factory=WorkspaceSpec)
    resources: list[Resource[Any]] = field(default_factory=list)
    paths: frozenset[str] = frozenset()  # every file in the source, for reference checks
    rev: str | None = None
    commit: str | None = None
    settings_file: str | None = None
    name: str | None = None
    # refs of documents that failed validation: references to them are not reported again
    broken: frozenset[str] = frozenset()
    # suite ref → cases read from its cases_file (agentctl.workspace.cases.CaseSite)
    file_cases: dict[str, list[Any]] = field(default_factory=dict)
    by_kind: dict[str, dict[str, Resource[Any]]] = field(default_factory=dict)
    duplicates: list[tuple[Resource[Any], Resource[Any]]] = field(default_factory=list)
    _scopes: dict[str, list[OperationRef]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for res in self.resources:
            table = self.by_kind.setdefault(res.kind, {})
            first = table.get(res.name)
            if first is None:
                table[res.name] = res
            else:
                self.duplicates.append((first, res))

    # --- lookups ---------------------------------------------------------------------

    def missing(self, ref: str) -> bool:
        """True when `ref` names nothing, not even a document that failed validation."""
        return self.get(ref) is None and ref not in self.broken

    def get(self, ref: str) -> Resource[Any] | None:
        prefix, _, name = ref.partition("/")
        kind = PREFIX_KIND.get(prefix)
        if kind is None:
            return None
        return self.by_kind.get(kind, {}).get(name)

    def _of(self, kind: str) -> list[Resource[Any]]:
        return list(self.by_kind.get(kind, {}).values())

    @property
    def roles(self) -> list[Resource[RoleDoc]]:
        return self._of("Role")

    @property
    def connectors(self) -> list[Resource[ConnectorDoc]]:
        return self._of("Connector")

    @property
    def charters(self) -> list[Resource[CharterDoc]]:
        return self._of("Charter")

    @property
    def policies(self) -> list[Resource[PolicyDoc]]:
        return self._of("Policy")

    @property
    def contracts(self) -> list[Resource[ContractDoc]]:
        return self._of("Contract")

    @property
    def suites(self) -> list[Resource[EvalSuiteDoc]]:
        return self._of("EvalSuite")

    @property
    def scenarios(self) -> list[Resource[ScenarioDoc]]:
        return self._of("Scenario")

    def charter(self, ref: str) -> Resource[CharterDoc] | None:
        res = self.get(ref if "/" in ref else f"charter/{ref}")
        return res if res is not None and res.kind == "Charter" else None

    def action_cost(self, action: Action) -> Decimal | None:
        """The estimated cost of one policy action: its own `cost_usd`, else the invoked
        charter's per-run USD budget (the most one run may spend); escalations and
        incidents cost 0; None when the invoked charter does not exist."""
        if action.cost_usd is not None:
            return action.cost_usd
        if action.invoke is None:
            return Decimal(0)
        charter = self.charter(action.invoke)
        return None if charter is None else charter.doc.spec.budget.per_run.usd

    def role(self, ref: str) -> Resource[RoleDoc] | None:
        res = self.get(ref if "/" in ref else f"role/{ref}")
        return res if res is not None and res.kind == "Role" else None

    # --- scopes ----------------------------------------------------------------------

    def _scope_index(self) -> dict[str, list[OperationRef]]:
        if self._scopes is None:
            index: dict[str, list[OperationRef]] = {}
            for conn in self.connectors:
                for name, op in conn.doc.spec.operations.items():
                    ref = OperationRef(conn, name, op)
                    index.setdefault(op.scope, []).append(ref)
                    index.setdefault(f"{conn.name}.{name}", []).append(ref)
                    index.setdefault(f"{conn.name}.*", []).append(ref)
            self._scopes = index
        return self._scopes

    def operations_for(self, scope: str) -> list[OperationRef]:
        """The operations a granted scope opens: by their scope, `connector.op` or `connector.*`."""
        return list(self._scope_index().get(scope, []))

    def known_scopes(self) -> list[str]:
        return sorted(self._scope_index())

    def effective_permissions(self, charter: CharterDoc) -> dict[str, Permission]:
        """Every operation `charter` can reach, by `connector.operation`: the one meaning
        of a grant (agentctl/model/permissions.py), which lint, the guard, contracts,
        inventory and diff all ask."""
        found: dict[tuple[str, str], tuple[OperationRef, list[str]]] = {}
        for grant in charter.spec.tools:
            for ref in self.operations_for(grant):
                entry = found.setdefault((ref.connector.name, ref.name), (ref, []))
                if grant not in entry[1]:
                    entry[1].append(grant)
        out: dict[str, Permission] = {}
        for key in sorted(found):
            ref, grants = found[key]
            out[ref.qualified] = Permission(
                ref.qualified,
                ref.connector.name,
                ref.op.scope,
                ref.op.effect,
                tuple(sorted(ref.op.data_classes)),
                tuple(grants),
                ref,
            )
        return out

    def granted_operations(self, charter: CharterDoc) -> list[OperationRef]:
        return [p.ref for p in self.effective_permissions(charter).values()]

    def summary(self) -> dict[str, int]:
        return {kind: len(table) for kind, table in sorted(self.by_kind.items())}
