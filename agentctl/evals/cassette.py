"""Cassettes: one eval case's exchanges with the outside, recorded and replayed.

A cassette is a `Recorder` (agentctl/runtime/transports.py): every connector call (but
fixture connectors, which are recordings already), HTTP request and model request of the
case's run goes through `exchange`, in the order the run makes them.

- record: the request is performed live and the request and its answer are kept;
- replay: the answer comes from the cassette; nothing is performed (no network at all).
  The Nth request must equal the Nth recorded one; the first that does not is a
  *cassette mismatch*, kept on the cassette (the case is an error, whatever the agent
  did with the exception) and never re-run live.

The file (docs/evals.md "Recordings"): JSON, keys sorted, two-space indent, the
interactions in call order; no timestamps, so the same run records the same bytes.
Secrets (bearer tokens, API keys: runtime/session.py `secret_values`) are redacted from
requests and answers before they are compared or written; headers are never recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from agentctl.errors import ConfigError
from agentctl.ledger import redact
from agentctl.model.index import Resource
from agentctl.model.kinds import EvalSuiteDoc
from agentctl.runtime.errors import ToolError
from agentctl.workspace.paths import PathRefused, TooLarge, inside, named, read_inside

FORMAT_VERSION = 1
RECORD, REPLAY, LIVE, AUTO = "record", "replay", "live", "auto"
MODES = (AUTO, RECORD, REPLAY, LIVE)


class CassetteMismatch(ToolError):
    """A request that differs from the one recorded at its place (or one too many)."""

    def __init__(self, message: str, *, field: str, expected: str, got: str, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.field, self.expected, self.got = field, expected, got


def _plain(value: Any, secrets: list[str]) -> Any:
    """JSON values only (as a file would give them back), secrets redacted."""
    return redact(json.loads(json.dumps(value, default=str)), secrets)


def _show(value: Any, width: int = 120) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def first_difference(expected: Any, got: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first place where two JSON values differ: (key path, expected, got)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in sorted(set(expected) | set(got)):
            where = f"{path}.{key}" if path else str(key)
            if key not in got:
                return where, expected[key], "(absent)"
            if key not in expected:
                return where, "(absent)", got[key]
            found = first_difference(expected[key], got[key], where)
            if found is not None:
                return found
        return None
    if isinstance(expected, list) and isinstance(got, list):
        for i, (a, b) in enumerate(zip(expected, got, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found is not None:
                return found
        if len(expected) != len(got):
            return f"{path} (length)", len(expected), len(got)
        return None
    if expected == got and type(expected) is type(got):
        return None
    return path or "(request)", expected, got


@dataclass
class Cassette:
    """The exchanges of one case. `where` is the file's workspace path (for messages)."""

    where: str
    mode: str  # record | replay
    case: str
    suite: str
    secrets: list[str] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)
    played: int = 0
    mismatch: CassetteMismatch | None = None

    @property
    def replaying(self) -> bool:
        return self.mode == REPLAY

    def exchange(
        self, request: dict[str, Any], perform: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        req = _plain(request, self.secrets)
        if self.mode == RECORD:
            try:
                answer = perform()
            except ToolError as exc:  # what the system answered: replayed as the same error
                err = {"message": exc.message, "hint": exc.hint}
                self.interactions.append({"request": req, "error": _plain(err, self.secrets)})
                raise
            self.interactions.append({"request": req, "response": _plain(answer, self.secrets)})
            return answer
        if self.mismatch is not None:  # once off the tape, nothing more is answered
            raise self.mismatch
        n = self.played
        if n >= len(self.interactions):
            raise self._mismatch(n, "(request)", "no more requests", _show(req))
        recorded = self.interactions[n]
        diff = first_difference(recorded.get("request"), req)
        if diff is not None:
            where, expected, got = diff
            raise self._mismatch(n, where, _show(expected), _show(got))
        self.played += 1
        if "error" in recorded:
            err = recorded["error"] or {}
            raise ToolError(str(err.get("message")), hint=err.get("hint"))
        response: dict[str, Any] = recorded.get("response") or {}
        return response

    def _mismatch(self, n: int, where: str, expected: str, got: str) -> CassetteMismatch:
        self.mismatch = CassetteMismatch(
            f"cassette mismatch in case {self.case!r} ({self.where}, request {n + 1}): "
            f"{where}: expected {expected}, got {got}",
            field=where,
            expected=expected,
            got=got,
            hint=f"the request changed since it was recorded: re-record with 'agentctl eval "
            f"{self.suite} --case {self.case} --record' and review the cassette's diff",
        )
        return self.mismatch

    def dump(self) -> bytes:
        doc = {
            "format_version": FORMAT_VERSION,
            "suite": self.suite,
            "case": self.case,
            "interactions": self.interactions,
        }
        return (json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()

    @classmethod
    def load(cls, data: bytes, where: str, suite: str, case: str) -> Cassette:
        """A cassette from its file's bytes; ConfigError (file:line:col) when malformed."""
        try:
            doc = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{where}:{exc.lineno}:{exc.colno}: not a cassette (not JSON: {exc.msg})",
                hint="re-record it with agentctl eval --record",
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(f"{where}:1:1: not a cassette (not UTF-8)") from None
        items = doc.get("interactions") if isinstance(doc, dict) else None
        if (
            not isinstance(doc, dict)
            or doc.get("format_version") != FORMAT_VERSION
            or not isinstance(items, list)
            or not all(isinstance(i, dict) and isinstance(i.get("request"), dict) for i in items)
        ):
            raise ConfigError(
                f"{where}:1:1: not a cassette of format_version {FORMAT_VERSION} "
                "(an object with interactions: [{request, response|error}])",
                hint="re-record it with agentctl eval --record",
            )
        return cls(where, REPLAY, case, suite, interactions=items)


# --- where cassettes live (the shell: files and git) ---------------------------------------

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")


def file_name(case_id: str) -> str:
    """One file per case: the id when it is a safe file name, else a slug and a digest."""
    if _SAFE.fullmatch(case_id) and not case_id.endswith("."):
        return case_id + ".json"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", case_id).strip("-.")[:60] or "case"
    return f"{slug}-{sha256(case_id.encode()).hexdigest()[:10]}.json"


def folder(suite_file: str, suite_name: str, dir_: str | None, where: str = "") -> str:
    """The suite's `recording.dir` as a workspace path (relative to the workspace root,
    like the examples' `evals/recordings/NAME`), by default `recordings/NAME` beside the
    suite's file. ConfigError (at `where`, the key's file:line:col) when it would leave
    the workspace."""
    if dir_ is None:
        return named(suite_file, f"recordings/{suite_name}")
    try:
        return named("agentctl.yaml", dir_)
    except PathRefused as exc:
        raise ConfigError(
            f"{where or suite_file}: recording.dir {exc}", hint="name a folder inside the workspace"
        ) from None


def read(root: Path, rel: str, rev: str | None) -> bytes | None:
    """The cassette's bytes, from the work tree or (with `rev`) that git revision; None
    when there is none."""
    if rev is not None:
        proc = subprocess.run(
            ["git", "show", f"{rev}:./{rel}"], cwd=root, capture_output=True, timeout=30
        )
        return proc.stdout if proc.returncode == 0 else None
    try:
        return read_inside(root, rel)
    except FileNotFoundError:
        return None
    except (PathRefused, TooLarge) as exc:
        raise ConfigError(f"cassette {exc}: it is not read") from None


def write(root: Path, rel: str, data: bytes) -> None:
    """Write via a temporary file and os.replace (never a half-written cassette)."""
    try:
        target = inside(root, rel)
    except PathRefused as exc:
        raise ConfigError(f"cassette {exc}: it is not written") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cassette-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def for_case(
    root: Path,
    suite: Resource[EvalSuiteDoc],
    case_id: str,
    *,
    override: str | None,
    rev: str | None,
    secrets: list[str],
) -> Cassette | None:
    """The case's cassette in its mode (the command line's `--record`/`--live` over the
    suite's `recording.mode`): None when the case runs live. `auto` replays a cassette
    that exists and runs live without one; `replay` without one is a ConfigError."""
    rec = suite.doc.spec.recording
    mode = override or rec.mode
    if mode == LIVE:
        return None
    at = str(suite.location("spec", "recording", "dir"))
    rel = folder(suite.file, suite.name, rec.dir, at) + "/" + file_name(case_id)
    if mode == RECORD:
        return Cassette(rel, RECORD, case_id, suite.name, secrets)
    data = read(root, rel, rev)
    if data is None:
        if mode == AUTO:
            return None
        raise ConfigError(
            f"no cassette for case {case_id!r} at {rel} (recording.mode: replay)",
            hint=f"record it: agentctl eval {suite.name} --case {case_id} --record",
        )
    cassette = Cassette.load(data, rel, suite.name, case_id)
    cassette.secrets = secrets
    return cassette
