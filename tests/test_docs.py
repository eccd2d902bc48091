"""The README keeps its promises: it opens with the two commands, and every command of
the CLI appears in it (as sqlite-utils checks its docs against its commands)."""

from __future__ import annotations

import re

from support import REPO


def _readme() -> str:
    return (REPO / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", _readme(), re.DOTALL)
    assert first_block is not None
    commands = [ln.split("#")[0].strip() for ln in first_block.group(1).splitlines()]
    assert commands == ["python3.11 dev.py demo", "python3.11 dev.py test"]
    # nothing but the title comes before them
    assert _readme().index("```sh") < _readme().index("\n## ")


def test_ci_runs_the_test_command_the_readme_gives() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert "dev.py ci" in ci
    dev = (REPO / "dev.py").read_text()
    ci_body = dev[dev.index("def ci()") :]
    assert "run(PY, *TEST_CMD" in ci_body  # the same command `dev.py test` runs
    assert '"ruff"' in dev and '"mypy"' in dev


def test_every_command_is_in_the_readme() -> None:
    from agentctl.cli.main import COMMANDS

    readme = _readme()
    missing = [name for name in COMMANDS if f"agentctl {name}" not in readme]
    assert missing == []


def test_every_doc_the_readme_links_exists() -> None:
    for link in re.findall(r"\]\(((?:docs|CHANGELOG)[^)#]*)\)", _readme()):
        assert (REPO / link).exists(), link
