"""One apply at a time per environment: a lock file beside the ledger
(`<ledger>.deploy-<env>.lock`, agentctl/ledger/location.py), created whole and atomically
(written to a temporary file, then hard-linked into place: the link fails when the lock
exists), holding who took it. Like Terraform's state lock it outlives a crashed process
on purpose (nobody can tell from here that a process on another host is gone):
`agentctl force-unlock LOCK_ID` releases it."""

from __future__ import annotations

import json
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from agentctl.errors import AgentctlError, ExitCode, UsageError
from agentctl.ledger.location import lock_path


class LockHeldError(AgentctlError):
    """Another apply holds the environment's lock."""

    exit_code = ExitCode.FINDINGS


@dataclass(frozen=True)
class Holder:
    id: str  # lock-XXXXXXXX: what force-unlock takes
    env: str
    pid: int
    host: str
    identity: str
    since: str  # RFC 3339

    def describe(self) -> str:
        return f"{self.identity} (pid {self.pid} on {self.host}) since {self.since}"


def _read(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(**data)
    except (OSError, ValueError, TypeError):
        return None


def _alive_here(holder: Holder) -> bool | None:
    """Is the holder still running? None when it runs on another host (unknowable)."""
    if holder.host != socket.gethostname():
        return None
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _held(path: Path, env: str) -> LockHeldError:
    holder = _read(path)
    if holder is None:
        return LockHeldError(
            f"environment {env!r} is locked ({path}), by a holder that cannot be read",
            hint=f"if no apply is running, remove {path}",
        )
    hint = "wait for it to finish"
    if _alive_here(holder) is False:
        hint = f"that process is not running (it crashed?): agentctl force-unlock {holder.id}"
    else:
        hint += f"; if it crashed: agentctl force-unlock {holder.id}"
    return LockHeldError(
        f"environment {env!r} is locked by another apply: {holder.describe()} (lock {holder.id})",
        hint=hint,
    )


@contextmanager
def locked(ledger: Path, env: str, identity: str, since: str) -> Iterator[Holder]:
    """Hold `env`'s deploy lock for the block; refused (LockHeldError) when held."""
    path = lock_path(ledger, "deploy", env)
    holder = Holder(
        "lock-" + os.urandom(4).hex(), env, os.getpid(), socket.gethostname(), identity, since
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot take the deploy lock: {exc.strerror or exc}",
            hint="the ledger's folder must be writable",
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(holder), fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails when the lock exists
        except FileExistsError:
            raise _held(path, env) from None
    finally:
        os.unlink(tmp)
    try:
        yield holder
    finally:
        got = _read(path)
        if got is not None and got.id == holder.id:
            path.unlink(missing_ok=True)


def locks(ledger: Path) -> list[tuple[Path, Holder | None]]:
    """The deploy locks beside `ledger`."""
    prefix = lock_path(ledger, "deploy", "x").name[: -len("x.lock")]
    found = sorted(ledger.parent.glob(prefix + "*.lock")) if ledger.parent.is_dir() else []
    return [(p, _read(p)) for p in found]


def force_unlock(ledger: Path, lock_id: str) -> Holder:
    """Release the lock `lock_id` (one left by a crashed apply)."""
    held = locks(ledger)
    for path, holder in held:
        if holder is not None and holder.id == lock_id:
            path.unlink(missing_ok=True)
            return holder
    ids = [h.id + f" ({h.env})" for _, h in held if h is not None]
    raise UsageError(
        f"no deploy lock {lock_id!r} beside {ledger}",
        hint=("locks held: " + ", ".join(ids)) if ids else "no environment is locked",
    )
