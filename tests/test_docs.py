"""The README keeps its promises: it opens with the two commands, and every command of
the CLI appears in it (as sqlite-utils checks its docs against its commands)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


def _dry_run(cmd: list[str], venv: Path) -> list[str]:
    """The commands `cmd` (.ci/run or a dev.py verb) would run: AGENTCTL_DEV_DRY_RUN=1."""
    env = {**os.environ, "AGENTCTL_DEV_DRY_RUN": "1", "AGENTCTL_VENV": str(venv)}
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return [ln.removeprefix("+ ") for ln in r.stdout.splitlines() if ln.startswith("+ ")]


def test_ci_runs_the_test_command_the_readme_gives(tmp_path: Path) -> None:
    py = f"{tmp_path}/bin/python"
    ci = _dry_run(["bash", ".ci/run"], tmp_path)
    test = _dry_run([sys.executable, "dev.py", "test"], tmp_path)
    # `python3.11 dev.py test` (the README's command) runs exactly the suite CI runs
    assert test == [f"{py} -m pytest -q -p no:cacheprovider"]
    assert ci[0] == test[0]
    # then ruff, mypy and the benches, bounded
    assert ci[1:] == [
        *_dry_run([sys.executable, "dev.py", "lint"], tmp_path),
        f"{py} bench/run.py --scale 0.02",
    ]
    assert f"{py} -m ruff check agentctl tests bench dev.py" in ci
    assert f"{py} -m mypy agentctl" in ci
    assert f"{py} -m mypy --config-file tests/mypy.ini" in ci
    assert not (tmp_path / "bin").exists()  # a dry run installs nothing


def test_every_command_is_in_the_readme() -> None:
    from agentctl.cli.main import COMMANDS

    readme = _readme()
    missing = [name for name in COMMANDS if f"agentctl {name}" not in readme]
    assert missing == []


def test_every_doc_the_readme_links_exists() -> None:
    for link in re.findall(r"\]\(((?:docs|CHANGELOG)[^)#]*)\)", _readme()):
        assert (REPO / link).exists(), link
