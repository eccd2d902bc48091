"""Every example YAML file in the repository names its schema in a modeline that resolves,
and every document in it validates against that schema (draft-07), values as agentctl
loads them. The files are the ones `agentctl lint` reads at the repository root, so the
test picks up whatever examples exist."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import jsonschema
import pytest

from agentctl.model import jsonschema as js
from agentctl.workspace.loader import read_tree
from agentctl.workspace.yamlload import parse_bytes

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "docs" / "schemas"


def example_files() -> list[str]:
    return sorted(f.path for f in read_tree(REPO).files)


def check_file(root: Path, rel: str, schema_dir: Path) -> None:
    """Assert that `rel` (below `root`) has a modeline resolving into `schema_dir` and that
    each of its documents validates against the schema it names."""
    data = (root / rel).read_bytes()
    text = data.decode("utf-8")
    first = text.split("\n", 1)[0]
    target = js.modeline(first)
    assert target, f"{rel}:1: the first line must be '# yaml-language-server: $schema=...'"
    assert "://" not in target, f"{rel}:1: point at the schema in the repository: {target}"
    schema_path = (root / PurePosixPath(rel).parent / target).resolve()
    assert schema_path.is_file(), f"{rel}:1: {target} does not resolve ({schema_path})"
    assert schema_path.parent == schema_dir.resolve(), f"{rel}:1: {target} is not in {schema_dir}"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    docs, problems = parse_bytes(data)
    assert not problems and docs, f"{rel}: not readable YAML: {problems}"
    for doc in docs:
        assert not doc.problems, f"{rel}:{doc.line}: {doc.problems}"
        kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
        assert isinstance(kind, str), f"{rel}:{doc.line}: a document without a kind"
        assert schema_path.name in (js.filename(kind.lower()), js.filename(js.COMBINED)), (
            f"{rel}:{doc.line}: a {kind} document, but the modeline names {schema_path.name}"
        )
        errors = sorted(validator.iter_errors(doc.data), key=lambda e: list(e.absolute_path))
        assert not errors, f"{rel}:{doc.line}: " + "; ".join(
            f"{'.'.join(map(str, e.absolute_path)) or '(document)'}: {e.message[:200]}"
            for e in errors
        )


FILES = example_files()


def test_there_are_examples() -> None:
    assert "agentctl.yaml" in FILES


@pytest.mark.parametrize("rel", FILES)
def test_example_has_modeline_and_validates(rel: str) -> None:
    check_file(REPO, rel, SCHEMAS)


def test_check_file_catches_a_bad_example(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "role.schema.json").write_text(js.dumps(js.schema_for("role")))
    body = "apiVersion: agentctl/v1\nkind: Role\nmetadata: {name: r}\nspec: {members: 3}\n"
    (tmp_path / "r.yaml").write_text(
        "# yaml-language-server: $schema=schemas/role.schema.json\n" + body
    )
    with pytest.raises(AssertionError, match=r"spec\.members: 3 is not of type 'array'"):
        check_file(tmp_path, "r.yaml", tmp_path / "schemas")
    (tmp_path / "r.yaml").write_text(body)
    with pytest.raises(AssertionError, match="first line must be"):
        check_file(tmp_path, "r.yaml", tmp_path / "schemas")
    (tmp_path / "r.yaml").write_text("# yaml-language-server: $schema=nope.json\n" + body)
    with pytest.raises(AssertionError, match="does not resolve"):
        check_file(tmp_path, "r.yaml", tmp_path / "schemas")
