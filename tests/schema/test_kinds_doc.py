"""docs/kinds.md, the reference of the kinds, is generated from the models and current."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from support import REPO

from agentctl.model import jsonschema as js
from agentctl.model import reference
from agentctl.model.kinds import KINDS, Metadata

PAGE = REPO / "docs" / "kinds.md"


def _all_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for f in model.model_fields.values():
            for sub, _suffix in reference._submodels(f.annotation):
                visit(sub)

    for model in KINDS.values():
        visit(model)
    return seen


def test_docs_kinds_md_is_what_the_models_say() -> None:
    assert PAGE.read_text(encoding="utf-8") == reference.render(), (
        "docs/kinds.md is stale: regenerate it with 'make docs'"
    )


def test_the_cli_prints_the_reference(cli: Any) -> None:
    r = cli("schema", "--docs")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == reference.render()


def test_docs_with_a_kind_is_a_usage_error(cli: Any) -> None:
    r = cli("schema", "charter", "--docs")
    assert r.exit_code == 2
    assert r.stderr == "agentctl: error: --docs prints the whole reference: drop KIND and --out\n"


def test_every_field_has_one_description() -> None:
    """Described exactly once: in the model, or in jsonschema.FIELD_DESCRIPTIONS, not both
    (the model's would win and the other copy would rot)."""
    missing, twice = [], []
    for model in _all_models():
        for name, f in model.model_fields.items():
            key = f.alias or name
            table = [
                (c.__name__, key)
                for c in model.__mro__
                if (c.__name__, key) in js.FIELD_DESCRIPTIONS
            ]
            if f.description and table:
                twice.append(f"{model.__name__}.{key}")
            if not js.field_description(model, key):
                missing.append(f"{model.__name__}.{key}")
    assert missing == []
    assert twice == []


def test_every_kind_model_and_field_is_on_the_page() -> None:
    page = reference.render()
    for kind in KINDS:
        assert f"\n## {kind}\n" in page
        assert f"`kind: {kind}`" in page
    for model in _all_models() - set(KINDS.values()):
        section = page.split(f"\n### {model.__name__}\n", 1)
        assert len(section) == 2, f"no section for {model.__name__}"
        body = section[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
        for name, f in model.model_fields.items():
            desc = js.field_description(model, f.alias or name)
            assert f"| `{f.alias or name}` |" in body, (model.__name__, name)
            assert desc is not None and desc.replace("|", "\\|") in body


def test_a_field_row_says_type_default_and_description() -> None:
    page = reference.render()
    # defaults are written as in YAML; types by the name the value-types table explains
    assert "| `timeout` | duration | `30s` | how long one call may take |" in page
    assert "| `tools` | list of scope | `[]` | granted scopes; deny by default |" in page
    assert re.search(r"\| `on` \| list of string \(at least 1\) \| \*\*required\*\* \|", page)
    assert "| `owner` | role/NAME | optional |" in page
    assert "At `spec.operations.NAME`." in page
    assert "At `spec.budget.per_run`, `spec.budget.per_day`." in page
    assert "Exactly one of `python`, `command`, `model`." in page
    assert Metadata.__name__ in page


def test_the_readme_links_the_reference() -> None:
    assert "(docs/kinds.md)" in (REPO / "README.md").read_text(encoding="utf-8")
