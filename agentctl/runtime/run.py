"""`run_charter`: one run start to end, the library call behind `agentctl run`."""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from agentctl.deploy.state import Deployed
from agentctl.errors import ConfigError, UsageError
from agentctl.ledger import Ledger, LedgerWriter, new_trace_id, redact_text
from agentctl.ledger.clock import refuse_on_real_ledger
from agentctl.ledger.store import LedgerWriteError
from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import CharterDoc
from agentctl.runtime.charter_io import check_run_input
from agentctl.runtime.errors import ToolError
from agentctl.runtime.recording import Recorder
from agentctl.runtime.runtimes import prepare
from agentctl.runtime.session import AgentRun, RunResult, Session, SessionConfig
from agentctl.runtime.summary import redacted


def find_charter(workspace: Workspace, name: str) -> Any:
    res = workspace.charter(name)
    if res is None:
        from agentctl.model.validate import did_you_mean

        names = sorted(c.name for c in workspace.charters)
        bare = name.partition("/")[2] if name.startswith("charter/") else name
        hint = did_you_mean(bare, names)
        raise UsageError(
            f"unknown charter {name!r}",
            hint=hint or ("charters here: " + ", ".join(names) if names else "no charters found"),
        )
    return res


def head_commit(root: Path) -> str | None:
    """The checked-out commit, when the workspace is in a git repository."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = proc.stdout.strip()
    return out if proc.returncode == 0 and len(out) == 40 else None


def run_charter(
    workspace: Workspace,
    root: Path,
    charter: str,
    payload: Any,
    *,
    ledger: Ledger,
    start: _dt.datetime,
    today: _dt.date | None = None,
    commit: str | None = None,
    environ: Mapping[str, str] | None = None,
    read_file: Callable[[str], bytes] | None = None,
    log: Callable[[str], None] = lambda _m: None,
    trace_id: str | None = None,
    batch: int = 500,
    rev: str | None = None,
    clock_override: dict[str, str] | None = None,
    code_root: Path | None = None,
    recorder: Recorder | None = None,
    env: str | None = None,
    deployment: Deployed | None = None,
    pauses: bool = True,
) -> RunResult:
    """Run `charter` on `payload`; every step goes to `ledger`, flushed at the end (also on
    Ctrl-C, which passes through as KeyboardInterrupt). A charter whose runtime cannot be
    loaded is a ConfigError before anything is recorded.

    `rev`: the code (python_path, command runtimes and transports) and the fixtures as
    committed at that git revision, from a temporary checkout (`workspace` is expected to
    be loaded at the same revision).

    `code_root`: a checkout of the revision made by the caller (who then also imports
    afresh): what `rev` does, once for many runs (eval).

    `clock_override` (ledger/clock.py `mark`): `start`/`today` are not the real clock; refused
    on a ledger that records real runs, and every event is marked with it.

    `recorder`: eval's cassette; every connector (but fixtures) and model exchange goes
    through it (agentctl/evals/cassette.py).
    `env`: the environment the run belongs to (None: the workspace's default one). A charter
    paused there (`agentctl pause`) is refused by the guard, nested asks included;
    `pauses=False` (apply's gates judging a version) leaves the ledger's pauses out
    (`spec.paused` in the document still holds).
    `deployment` (`run --env`, with `env` and `rev` its commit): the charter as deployed
    there; the run refuses (ConfigError, nothing recorded) unless the charter's version at
    that commit is the deployed one, and run_start records the deployment. None marks the
    run as undeployed (the working copy, or a --rev)."""
    res = find_charter(workspace, charter)
    check_run_input(res, payload, workspace.broken)
    if clock_override is not None:
        options = "/".join(f"--{k}" for k in ("now", "today") if k in clock_override)
        refuse_on_real_ledger(ledger, options or "a clock override")
    environ = dict(os.environ if environ is None else environ)
    if today is None:
        from zoneinfo import ZoneInfo

        today = start.astimezone(ZoneInfo(workspace.settings.defaults.timezone)).date()
    from agentctl.deploy.pause import paused_in

    paused = (
        paused_in(ledger, env if env is not None else _default_env(workspace)) if pauses else {}
    )
    cfg = SessionConfig(
        workspace=workspace,
        root=root,
        writer=ledger.writer(batch=batch),
        trace_id=trace_id or new_trace_id(),
        start=start,
        today=today,
        commit=commit,
        environ=environ,
        read_file=read_file,
        log=log,
        clock_override=clock_override,
        recorder=recorder,
        paused={name: (p.message(), p.hint()) for name, p in paused.items()},
        deployment={"undeployed": True},
    )
    if code_root is not None:
        cfg.code_root = code_root
        cfg.read_file = None  # the checkout holds the revision's fixtures
    if deployment is not None:
        from agentctl.deploy.running import run_attrs

        assert env is not None and rev is not None, "a deployed run names its env and commit"
        cfg.deployment = run_attrs(env, deployment)
    if rev is None:
        return _execute(cfg, res, payload)
    from agentctl.runtime.revision import checkout, fresh_imports

    python_path = list(workspace.settings.python_path)
    with checkout(root, rev, python_path) as code_root:
        cfg.code_root = code_root
        cfg.read_file = None  # the checkout holds the revision's fixtures
        if deployment is not None:
            _check_deployed(cfg, res, deployment, env or "")
        with fresh_imports([(code_root / p).resolve() for p in python_path]):
            return _execute(cfg, res, payload)


def _check_deployed(cfg: SessionConfig, res: Resource[CharterDoc], got: Deployed, env: str) -> None:
    from agentctl.deploy.running import check_version
    from agentctl.runtime.transports import TransportEnv
    from agentctl.runtime.version import run_version

    code = TransportEnv(cfg.code_root or cfg.root, list(cfg.workspace.settings.python_path))
    check_version(res.ref, env, got, run_version(cfg.workspace, code, res))


def _default_env(workspace: Workspace) -> str | None:
    """The environment a run without --env belongs to: the default or only one; None
    (pauses in any environment hold) when the workspace declares several."""
    from agentctl.deploy.state import DEFAULT_ENV, environments

    envs = environments(workspace.settings)
    if DEFAULT_ENV in envs:
        return DEFAULT_ENV
    return next(iter(envs)) if len(envs) == 1 else None


def _execute(cfg: SessionConfig, res: Resource[CharterDoc], payload: Any) -> RunResult:
    writer = cfg.writer
    try:
        session = Session(cfg)
        try:
            fn = prepare(res, session.env)
        except ToolError as exc:
            # the message may quote the agent's own code (an import error): no secrets
            raise ConfigError(
                redact_text(
                    f"charter/{res.name}: cannot load its runtime: {exc.message}", session.secrets
                ),
                hint=redact_text(exc.hint or f"check spec.runtime in {res.file}", session.secrets),
            ) from None
        try:
            result = AgentRun(session, res).execute(payload, fn)
        finally:
            session.close()
    except BaseException:
        writer.flush()  # what happened before a crash or Ctrl-C is evidence
        raise
    check_record(writer, result)
    return redacted(result, session.secrets)


def check_record(writer: LedgerWriter, result: RunResult) -> None:
    """The end-of-run check: every event of the run is committed, and every event the
    writer committed is still in the chain as it wrote it (same seq, same hash). What
    fails becomes a problem of the result: the run fails, whatever the agent did."""
    try:
        writer.flush()
    except LedgerWriteError as exc:
        result.problems.append(
            f"{writer.pending} event(s) of this run could not be written to the ledger: "
            f"{exc.message}"
        )
    try:
        gone = writer.ledger.missing(writer.committed)
    except sqlite3.Error as exc:
        result.problems.append(f"the ledger could not be read back at run end: {exc}")
        return
    if gone:
        shown = ", ".join(str(seq) for seq in gone[:5]) + (", ..." if len(gone) > 5 else "")
        result.problems.append(
            f"{len(gone)} of the {len(writer.committed)} event(s) this run wrote are no "
            f"longer in the ledger as written (seq {shown}); run agentctl ledger verify"
        )
