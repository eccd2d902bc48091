"""The bundled example workspace at the repository root lints cleanly, in every format.

`--today 2026-11-25` pins the date the expiry rules judge by. When the example grows,
review the change and update with `pytest tests/render --snapshot-update`.
"""

from __future__ import annotations

from typing import Any

import pytest
from support import REPO
from test_render_lint import FORMATS, unversioned

TODAY = "2026-11-25"


@pytest.mark.parametrize("fmt", FORMATS)
def test_example_workspace_output(fmt: str, cli: Any, snapshot: Any) -> None:
    r = cli("lint", "-w", REPO, "--today", TODAY, "-f", fmt, "--strict")
    assert (r.exit_code, r.stderr) == (0, "")
    assert unversioned(r.stdout) == snapshot


def test_example_workspace_has_no_findings_at_all(cli: Any) -> None:
    r = cli("lint", "-w", REPO, "--today", TODAY, "-f", "json")
    assert '"findings": []' in r.stdout
