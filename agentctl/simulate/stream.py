"""Reading event streams (the shell): JSONL or gzip-compressed JSONL, one line at a time."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from agentctl.engine.events import Event, parse_line
from agentctl.errors import ConfigError
from agentctl.findings import Finding, Location, Severity

Progress = Callable[[int, int], None]  # (bytes read, total bytes)
PROGRESS_EVERY = 8192  # lines between progress calls: cheap enough to ignore


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def read_events(
    path: Path, display: str | None = None, progress: Progress | None = None
) -> Iterator[Event | Finding]:
    """Stream the events of `path` (never all in memory); malformed lines become findings.

    `display` is the path findings name (workspace-relative). Blank lines are skipped.
    """
    name = display or path.as_posix()
    if not path.is_file():
        raise ConfigError(f"{name}: no such events file", hint="pass a JSONL or .jsonl.gz file")
    total = path.stat().st_size
    with path.open("rb") as raw:
        stream: Iterable[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if _is_gzip(path) else raw
        lineno = 0
        try:
            for lineno, line in enumerate(stream, 1):
                if progress is not None and lineno % PROGRESS_EVERY == 0:
                    progress(raw.tell(), total)
                if not line.strip():
                    continue
                yield parse_line(line, lineno, name)
        except (OSError, EOFError) as exc:  # a truncated or corrupt gzip member
            yield Finding(
                "event-stream-corrupt",
                Severity.ERROR,
                f"the stream ends in a damaged block ({exc}); events after it were not read",
                Location(name, lineno + 1, 1),
                "is the file complete? try: gzip -t FILE",
            )
    if progress is not None:
        progress(total, total)
