"""The schema and the models agree: an editor never flags a document that agentctl accepts.

Valid documents (the `agentctl init` workspace and the repository's examples) are mutated
at random; whenever the model still accepts the result, the published schema must too.
(The reverse need not hold: lint checks meaning the schema cannot express, such as
references and budgets.)
"""

from __future__ import annotations

import copy
import os
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from agentctl.model import jsonschema as js
from agentctl.model.kinds import KINDS
from agentctl.scaffold import scaffold
from agentctl.workspace.loader import read_tree
from agentctl.workspace.yamlload import parse_bytes

REPO = Path(__file__).resolve().parents[2]
SCALE = float(os.environ.get("AGENTCTL_STRESS_SCALE", "1.0"))
VALIDATORS = {kind: jsonschema.Draft7Validator(js.schema_for(kind.lower())) for kind in KINDS}


def _seeds() -> list[Any]:
    blobs = [
        t.encode() for p, t in scaffold("seed", date(2026, 1, 1)).items() if p.endswith(".yaml")
    ]
    blobs += [f.data for f in read_tree(REPO).files]
    out = []
    for blob in blobs:
        docs, _ = parse_bytes(blob)
        out += [d.data for d in docs if isinstance(d.data, dict) and d.data.get("kind") in KINDS]
    return out


SEEDS = _seeds()

SCALARS = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            1,
            -1,
            0.5,
            2.0,
            10**12,
            "",
            "x",
            "3h",
            "90s",
            "1h30m",
            "0s",
            " 3h ",
            "3 h",
            "12.50",
            "$1,200",
            "300 USD",
            "300 usd",
            " 5 ",
            "-3",
            "2027-01-31",
            "20270131",
            "role/x",
            "charter/x",
            "evalsuite/x",
            "x.read",
            "x.*",
            "Bad Name",
            "pii.ssn",
            "PII",
            "agentctl/v1",
            "read",
            "write",
            "replay",
            "a-b",
            "a_b",
            "9",
        ]
    ),
    st.text(max_size=6),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "x", "id"]), inner, max_size=2),
    ),
    max_leaves=4,
)


def _containers(node: Any) -> list[Any]:
    out = []
    if isinstance(node, dict | list):
        out.append(node)
        for v in node.values() if isinstance(node, dict) else node:
            out.extend(_containers(v))
    return out


def _mutate(doc: Any, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(_containers(doc)))
    if isinstance(target, dict):
        keys = list(target)
        op = data.draw(st.sampled_from(["set", "delete", "add"] if keys else ["add"]))
        if op == "add":
            key = data.draw(st.sampled_from([*keys, "python", "command", "extra", "for", "from"]))
            target[key] = data.draw(VALUES)
        else:
            key = data.draw(st.sampled_from(keys))
            if op == "delete":
                del target[key]
            elif data.draw(st.booleans()):
                target[key] = data.draw(st.sampled_from(_variants(target[key])))
            else:
                target[key] = data.draw(VALUES)
    elif target:
        i = data.draw(st.integers(0, len(target) - 1))
        if data.draw(st.booleans()):
            target[i] = data.draw(VALUES)
        else:
            del target[i]
    else:
        target.append(data.draw(VALUES))


def _variants(value: Any) -> list[Any]:
    """Near misses of a valid value: where a model's parser and a schema's pattern differ."""
    if isinstance(value, str):
        return [
            f" {value} ",
            value.upper(),
            value + "\n",
            value.replace("/", "/x/"),
            "",
            f"{value}x",
            value.lower().replace(" usd", " USD"),
            value.strip("$"),
        ]
    if isinstance(value, bool):
        return [int(value), str(value).lower(), None]
    if isinstance(value, int | float):
        return [str(value), f"{value} usd", f" ${value} ", -value, 0, float(value), True, None]
    if isinstance(value, list):
        return [[], value[:1] * 2, [*value, None]]
    return [None, {}, []]


def _model_accepts(doc: dict[str, Any]) -> bool:
    try:
        KINDS[doc["kind"]].model_validate(doc)
    except ValidationError:
        return False
    return True


def test_seeds_are_valid() -> None:
    assert len(SEEDS) >= 9
    for doc in SEEDS:
        assert _model_accepts(doc) and VALIDATORS[doc["kind"]].is_valid(doc), doc["metadata"]


@settings(
    max_examples=max(50, int(400 * SCALE)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_schema_accepts_whatever_the_model_accepts(data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(SEEDS)))
    kind = doc["kind"]
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(doc, data)
    if not isinstance(doc.get("kind"), str) or doc["kind"] != kind:
        return
    if _model_accepts(doc):
        errors = [e.message for e in VALIDATORS[kind].iter_errors(doc)]
        assert not errors, errors


@settings(max_examples=max(30, int(150 * SCALE)), deadline=None)
@given(st.data())
def test_an_unknown_key_is_rejected_by_both(data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(SEEDS)))
    maps = [m for m in _containers(doc) if isinstance(m, dict) and _is_model_mapping(doc, m)]
    target = data.draw(st.sampled_from(maps))
    target["no_such_key"] = 1
    assert not _model_accepts(doc)
    assert not VALIDATORS[doc["kind"]].is_valid(doc)


def _is_model_mapping(doc: dict[str, Any], m: dict[str, Any]) -> bool:
    """Mappings the models define (not free-form ones: labels, inputs, operations, JSON Schemas)."""
    free = ("labels", "annotations", "input", "input_schema", "output_schema", "env", "operations")

    def walk(node: Any, free_above: bool) -> bool | None:
        if node is m:
            return not free_above
        if isinstance(node, dict):
            for k, v in node.items():
                found = walk(v, free_above or k in free)
                if found is not None:
                    return found
        elif isinstance(node, list):
            for v in node:
                found = walk(v, free_above)
                if found is not None:
                    return found
        return None

    return bool(walk(doc, False))
