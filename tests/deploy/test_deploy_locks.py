"""One apply per environment at a time (a lock naming its holder), force-unlock of a lock
left by a crashed process, and the promotion order between environments."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from deploy_helpers import applied, build, deployments, ledger_of, verified
from support import CliResult

from agentctl.deploy.lock import locked, locks
from agentctl.ledger.location import lock_path

Cli = Callable[..., CliResult]
AGENTCTL = str(Path(sys.executable).parent / "agentctl")
ENVS = "  environments:\n    staging: {}\n    prod: {after: staging}\n"


@pytest.fixture
def shop(git_repo: Path) -> Path:
    return build(git_repo)


def test_a_held_lock_refuses_apply_naming_the_holder(shop: Path, cli: Cli) -> None:
    ledger = ledger_of(shop)
    with locked(ledger, "default", "ops@example.com", "2026-11-01T10:00:00.000000Z") as holder:
        r = cli("apply", "-w", shop, "--auto-approve")
        assert r.exit_code == 1
        assert f"locked by another apply: ops@example.com (pid {os.getpid()} on " in r.stderr
        assert "since 2026-11-01T10:00:00.000000Z" in r.stderr and holder.id in r.stderr
        assert deployments(shop) == 0
    assert not lock_path(ledger, "deploy", "default").exists()  # released on exit
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 0


def test_force_unlock_releases_a_lock_left_by_a_crashed_process(shop: Path, cli: Cli) -> None:
    ledger = ledger_of(shop)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    gen = locked(ledger, "default", "ci", "2026-11-01T10:00:00.000000Z")
    holder = gen.__enter__()  # left held, as by a process killed inside it
    path = lock_path(ledger, "deploy", "default")
    path.write_text(path.read_text().replace(f'"pid": {os.getpid()}', f'"pid": {pid}'))
    r = cli("apply", "-w", shop, "--auto-approve")
    assert r.exit_code == 1 and f"pid {pid}" in r.stderr
    assert f"not running (it crashed?): agentctl force-unlock {holder.id}" in r.stderr
    r = cli("force-unlock", "lock-00000000", "-w", shop)
    assert r.exit_code == 2 and holder.id in r.stderr  # names the locks there are
    r = cli("force-unlock", holder.id, "-w", shop)
    assert r.exit_code == 0 and f"Released {holder.id} on default" in r.stdout
    assert locks(ledger) == []
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 0


def _wait(cond: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_two_concurrent_applies_one_proceeds_the_other_is_refused(shop: Path) -> None:
    """Real processes: the first holds the lock while it asks for confirmation on a
    terminal; the second is refused naming it; the first then completes."""
    master, slave = pty.openpty()
    first = subprocess.Popen(
        [AGENTCTL, "apply", "-w", str(shop), "--by", "first@example.com"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(slave)
    try:
        lock = lock_path(ledger_of(shop), "deploy", "default")
        _wait(lock.exists, "the first apply to take the lock")
        second = subprocess.run(
            [AGENTCTL, "apply", "-w", str(shop), "--auto-approve", "--by", "second@example.com"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1, second.stderr
        assert f"first@example.com (pid {first.pid} on " in second.stderr
        assert deployments(shop) == 0
        os.write(master, b"yes\n")
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert "Apply complete: 7 added" in out
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        os.close(master)
    assert deployments(shop) == 1 and verified(shop)


@pytest.fixture
def staged(git_repo: Path) -> Path:
    return build(git_repo, ENVS)


def test_a_later_environment_needs_the_versions_applied_before(staged: Path, cli: Cli) -> None:
    r = cli("plan", "-w", staged)
    assert r.exit_code == 2 and "name one with --env" in r.stderr
    r = cli("apply", "-w", staged, "--env", "prod", "--auto-approve")
    assert r.exit_code == 1
    assert "prod comes after staging in the promotion order" in r.stderr
    assert "agentctl apply --env staging" in r.stderr
    assert deployments(staged) == 0
    assert cli("apply", "-w", staged, "--env", "staging", "--auto-approve").exit_code == 0
    r = cli("apply", "-w", staged, "--env", "prod", "--auto-approve")
    assert r.exit_code == 0, r.stderr
    assert applied(staged, "prod") == applied(staged, "staging") != {}
    assert verified(staged)
