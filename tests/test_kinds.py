"""Kinds have one registry (agentctl.model.kinds.REGISTRY); every kind is covered
everywhere a kind must be. Adding a kind and forgetting a place fails here, not as a
KeyError (exit 3) in a user's hands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import REPO

from agentctl.model import jsonschema as js
from agentctl.model.kinds import KINDS, REGISTRY, RESOURCE_KINDS, kind_named
from agentctl.model.types import REF_KINDS
from agentctl.render import inventory

ALL = list(REGISTRY)


@pytest.mark.parametrize("name", ALL)
def test_every_spelling_parses_to_the_kind(name: str) -> None:
    k = REGISTRY[name]
    assert k.model is KINDS[name] and k.description
    for spelling in (name, name.lower(), name.upper(), k.plural_name, *k.aliases):
        assert kind_named(spelling) == name, spelling


@pytest.mark.parametrize("name", ALL)
def test_every_kind_has_a_committed_schema(name: str) -> None:
    stem = js.kind_of(name)
    assert stem == name.lower()
    assert (REPO / "docs" / "schemas" / js.filename(stem)).is_file()
    assert js.schema_for(stem)["description"] == REGISTRY[name].description


@pytest.mark.parametrize("name", RESOURCE_KINDS)
def test_every_resource_kind_has_an_inventory_fact(name: str) -> None:
    assert name in inventory.FACTS
    assert inventory.kind_named(name) == name


def test_references_name_registered_kinds() -> None:
    assert set(REF_KINDS.values()) <= set(REGISTRY)
    assert all(prefix == kind.lower() for prefix, kind in REF_KINDS.items())


@pytest.mark.parametrize("command", ["inventory", "schema"])
def test_commands_accept_every_kind_in_every_spelling(cli: Any, command: str) -> None:
    among = RESOURCE_KINDS if command == "inventory" else ALL
    help_text = " ".join(cli(command, "--help").stdout.split())
    for name in among:
        k = REGISTRY[name]
        # the help lists the kinds (written by hand: --help must not import the models)
        assert name.lower() in help_text or any(a in help_text for a in k.aliases), name
        for spelling in (name.lower(), k.plural_name, *k.aliases):
            r = (
                cli(command, spelling, "-w", REPO)
                if command == "inventory"
                else cli(command, spelling)
            )
            assert r.exit_code == 0, (command, spelling, r.stderr)


def test_init_has_an_example_of_every_kind_and_inventory_shows_each(
    cli: Any, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    assert cli("init", ws).exit_code == 0
    r = cli("inventory", "-w", ws, "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert {e["kind"] for e in json.loads(r.stdout)["resources"]} == set(RESOURCE_KINDS)
    assert (ws / "agentctl.yaml").is_file()  # the one Workspace document


def test_runtime_and_transport_registries_serve_every_choice() -> None:
    """The model's fields name the choices (each with its settings); the registries run
    them. A field without an entry would fail at run time with a KeyError."""
    from agentctl.model.kinds import Runtime, Transport
    from agentctl.runtime.runtimes import RUNTIMES
    from agentctl.runtime.transports import TRANSPORTS

    assert list(RUNTIMES) == list(Runtime.choices())
    assert list(TRANSPORTS) == list(Transport.choices())
