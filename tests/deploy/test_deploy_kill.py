"""SIGKILL of apply at random points: afterwards the environment holds the previous
deployment or the new one, complete, never a mix, and the ledger verifies. Assertions are
on what holds wherever the process died, never on how far it got."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from deploy_helpers import applied, build, ledger_of, verified
from support import CliResult

from agentctl.deploy.lock import locks

Cli = Callable[..., CliResult]
AGENTCTL = str(Path(sys.executable).parent / "agentctl")
SCALE = float(os.environ.get("AGENTCTL_STRESS_SCALE", "1.0"))


def _apply(shop: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [AGENTCTL, "apply", "-w", str(shop), "--auto-approve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_sigkill_of_apply_leaves_the_previous_deployment_or_the_new_one(
    git_repo: Path, cli: Cli
) -> None:
    shop = build(git_repo)
    code = shop / "lib" / "planner.py"
    sources = {"old": code.read_text()}
    sources["new"] = sources["old"] + "\n# a new version, no approval needed\n"
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 0
    states = {"old": applied(shop)}
    code.write_text(sources["new"])
    states["new"] = json.loads(cli("plan", "-w", shop, "--format", "json").stdout)["versions"]
    assert states["new"] != states["old"]
    # one uninterrupted apply: how long one takes here (the range of kill points); the
    # eval gate's result for each version is then in the ledger, and reused
    t0 = time.monotonic()
    done = _apply(shop)
    done.communicate(timeout=300)
    span = time.monotonic() - t0
    assert done.returncode == 0 and applied(shop) == states["new"]
    rng = random.Random(1313)
    runs = max(8, int(50 * SCALE))
    for i in range(runs):
        # each time, apply the version that is not deployed (edit the working copy)
        target = "old" if applied(shop) == states["new"] else "new"
        code.write_text(sources[target])
        proc = _apply(shop)
        time.sleep(rng.uniform(0.0, span))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert applied(shop) in (states["old"], states["new"]), f"kill {i}: a mix"
        assert verified(shop), f"kill {i}: the ledger does not verify"
        for _path, holder in locks(ledger_of(shop)):
            assert holder is not None  # the lock file is written whole or not at all
            assert cli("force-unlock", holder.id, "-w", shop).exit_code == 0
    # and the environment still deploys normally afterwards
    target = "old" if applied(shop) == states["new"] else "new"
    code.write_text(sources[target])
    final = _apply(shop)
    _out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    assert applied(shop) == states[target] and verified(shop)
