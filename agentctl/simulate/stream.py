"""Reading event streams (the shell): JSONL or gzip-compressed JSONL, one line at a time."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from agentctl.engine.events import MAX_LINE_BYTES, Event, line_too_long, parse_line
from agentctl.errors import ConfigError
from agentctl.findings import Finding, Location, Severity

Progress = Callable[[int, int], None]  # (bytes read, total bytes)
PROGRESS_EVERY = 8192  # lines between progress calls: cheap enough to ignore
SKIP_CHUNK = 64 * 1024  # how much of an over-long line is read at a time to skip it


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _lines(stream: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """The stream's lines, each read with a bounded readline; None for a line longer than
    `limit` bytes, whose rest is skipped in bounded chunks (memory never holds more)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(SKIP_CHUNK)
        yield None


def read_events(
    path: Path, display: str | None = None, progress: Progress | None = None
) -> Iterator[Event | Finding]:
    """Stream the events of `path` (never all in memory); malformed lines become findings.

    `display` is the path findings name (workspace-relative). Blank lines are skipped; a
    line over MAX_LINE_BYTES is a finding, read past in bounded chunks, never held whole.
    """
    name = display or path.as_posix()
    if not path.is_file():
        raise ConfigError(f"{name}: no such events file", hint="pass a JSONL or .jsonl.gz file")
    total = path.stat().st_size
    with path.open("rb") as raw:
        gz = _is_gzip(path)
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw  # type: ignore[assignment]
        lineno = 0
        try:
            for lineno, line in enumerate(_lines(stream, MAX_LINE_BYTES), 1):
                if progress is not None and lineno % PROGRESS_EVERY == 0:
                    progress(raw.tell(), total)
                if line is None:
                    yield line_too_long(name, lineno)
                    continue
                if not line.strip():
                    continue
                yield parse_line(line, lineno, name)
        except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt gzip member
            yield Finding(
                "event-stream-corrupt",
                Severity.ERROR,
                f"the stream ends in a damaged block ({exc}); events after it were not read",
                Location(name, lineno + 1, 1),
                "is the file complete? try: gzip -t FILE",
            )
    if progress is not None:
        progress(total, total)
