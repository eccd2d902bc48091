"""Where an agent's own process runs, and what it can reach (docs/runtime.md, threat model).

Every process that runs agent code — a `command` runtime, a `python` runtime in its
isolated mode — is confined here:

- a working directory of its own: a fresh empty folder (also its HOME and TMPDIR),
  removed at the end of the run; never the workspace root, which holds the ledger;
- an environment of its own: `ENV_ALLOW` from ours, the charter's `spec.runtime.env`,
  `AGENTCTL_CHARTER` and `AGENTCTL_TRACE_ID`, nothing else (no ledger path, no secrets);
- a process group of its own, killed at the end of the run (`transports.LineProcess`);
- where bubblewrap works, a sandbox: the whole filesystem read-only, the ledger's folder
  replaced by an empty read-only one, a private /tmp, its own pid/ipc/uts/user
  namespaces, no capabilities, and it dies with agentctl.

Whether bwrap works is found by a trial run (user namespaces may be off in a container),
once per process and binary.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The only variables an agent's process inherits from ours (locale, PATH to find
# interpreters, the terminal's colour wishes).
ENV_ALLOW = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TERM",
    "NO_COLOR",
)
# The bwrap binary to use instead of the one on PATH; a path that does not exist means
# "no sandbox here" (how tests exercise the machines without bubblewrap).
BWRAP_ENV = "AGENTCTL_BWRAP"


@dataclass(frozen=True)
class Probe:
    """A working bwrap (`path`), or why there is none (`reason`)."""

    path: str | None
    reason: str | None = None


_PROBES: dict[str, Probe] = {}


def _flags() -> list[str]:
    return [
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--tmpfs", "/tmp",
        "--unshare-all",
        "--share-net",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
    ]  # fmt: skip


def probe(environ: Mapping[str, str]) -> Probe:
    """Is there a bwrap that works on this machine? (a trial run, cached per binary)"""
    configured = environ.get(BWRAP_ENV)
    path = configured or shutil.which("bwrap", path=environ.get("PATH") or None)
    if not path:
        return Probe(None, "bubblewrap (bwrap) is not installed")
    found = _PROBES.get(path)
    if found is not None:
        return found
    if not Path(path).is_file():
        found = Probe(None, f"bubblewrap not found at {path}")
    else:
        # a system shell, not our interpreter: that may live under /tmp (a virtualenv
        # there), which the probe's private /tmp hides; confine() binds it for real runs
        argv = [path, *_flags(), "--", "/bin/sh", "-c", ":"]
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            found = Probe(None, f"bubblewrap does not run here: {exc}")
        else:
            if proc.returncode == 0:
                found = Probe(path)
            else:
                why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
                found = Probe(None, "bubblewrap does not work here: " + (why[-1] if why else ""))
    _PROBES[path] = found
    return found


@dataclass
class Confined:
    """A process ready to start: its argv (wrapped in bwrap when sandboxed), environment
    and working directory. `close()` removes the working directory."""

    argv: list[str]
    env: dict[str, str]
    workdir: Path
    sandbox: str  # "bwrap" | "none"
    reason: str | None = None
    binds: list[str] = field(default_factory=list)

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def resolve_argv(argv: list[str], code_root: Path) -> list[str]:
    """The command with its relative paths made absolute against the code root: an
    argument naming an existing file or folder there (`agent.py`), and a program given
    with a slash (`./bin/agent`). The process does not start in the code root."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        path = bool(arg) and not arg.startswith("-") and not Path(arg).is_absolute()
        if path and (i > 0 or "/" in arg) and _exists(code_root / arg):
            out.append(str((code_root / arg).resolve()))
        else:
            out.append(arg)
    return out


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # too long, a NUL byte: not a file
        return False


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def confine(
    argv: list[str],
    *,
    environ: Mapping[str, str],
    env: Mapping[str, str],
    readable: Iterable[Path],
    ledger: Path | None,
    use_sandbox: bool = True,
) -> Confined:
    """Confine `argv` (already resolved). `env`: what the process gets besides the
    allow-list; `readable`: folders it must read although under /tmp (code root,
    python_path, the interpreter); `ledger`: the file whose folder it must not see."""
    workdir = Path(tempfile.mkdtemp(prefix="agentctl-agent-")).resolve()
    child_env = {k: environ[k] for k in ENV_ALLOW if k in environ}
    child_env.update(env)
    child_env["HOME"] = child_env["TMPDIR"] = str(workdir)
    found = probe(environ) if use_sandbox else Probe(None, "not requested")
    if found.path is None:
        return Confined(list(argv), child_env, workdir, "none", found.reason)
    binds: list[str] = []
    ro = sorted({p.resolve() for p in readable if p.exists()})
    for p in ro:
        if _inside(p, Path("/tmp")):  # the rest is visible (read-only) already
            binds += ["--ro-bind", str(p), str(p)]
    binds += ["--bind", str(workdir), str(workdir)]
    if ledger is not None:
        led = ledger.resolve()
        folder = led.parent
        if any(_inside(p, folder) for p in [*ro, workdir]):
            # the folder holds what the agent needs: hide the ledger's own files
            for f in sorted(folder.glob(led.name + "*")):
                binds += ["--ro-bind", "/dev/null", str(f)]
        else:
            binds += ["--tmpfs", str(folder), "--remount-ro", str(folder)]
    wrapped = [found.path, *_flags(), *binds, "--chdir", str(workdir), "--", *argv]
    return Confined(wrapped, child_env, workdir, "bwrap", None, binds)
