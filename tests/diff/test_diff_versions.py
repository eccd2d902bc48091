"""`agentctl diff` judges charters by their version too: a change of an agent's code with
the same document is an update, "code changed"; another module's edit is not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deploy_helpers import build
from support import commit_all, write


def test_a_code_only_change_is_an_update(git_repo: Path, cli: Any) -> None:
    shop = build(git_repo)
    write(shop / "lib" / "unrelated.py", "X = 1\n")  # no charter imports it
    code = shop / "lib" / "planner.py"
    code.write_text(code.read_text() + "# new behaviour\n")
    commit_all(shop, "edit the planner's code")
    r = cli("diff", "HEAD~1", "HEAD", "-w", shop, "--format", "json")
    assert r.exit_code == 0, r.stderr
    changes = json.loads(r.stdout)["changes"]
    assert [(c["ref"], c["action"], c["risk"]) for c in changes] == [
        ("charter/planner", "update", "medium")
    ]
    assert changes[0]["risks"][0]["message"].startswith("code changed: version sha256:")
    r = cli("diff", "HEAD~1", "HEAD", "-w", shop)
    assert "~ charter/planner  [MEDIUM]  update" in r.stdout and "code changed" in r.stdout
