"""`agentctl eval merge FILE…` and the progress bar of `agentctl eval`: the terminal side
of the eval command that does not fit in cli/eval.py."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

# a run shorter than this shows no bar at all (it would only flicker)
SHOW_AFTER_S = 1.0


def merge(files: list[Path], format: str) -> int:
    """Join shard results (`eval --shard i/n --format json`) into one report."""
    from agentctl.cli.common import emit, render
    from agentctl.errors import ExitCode, UsageError
    from agentctl.evals.merge import merge_reports, read_result

    if not files:
        raise UsageError(
            "eval merge needs the JSON results of the shards",
            hint="agentctl eval merge shard1.json shard2.json",
        )
    report = merge_reports([read_result(f) for f in files])
    emit(render("eval", format, report))
    return ExitCode.OK if report.passed else ExitCode.FINDINGS


class _Bar:
    """Counts runs; shows a rich progress bar on `stream` once the run has lasted
    SHOW_AFTER_S, and only when `stream` is a terminal (never in CI logs)."""

    def __init__(self, stream: TextIO, clock: Callable[[], float]) -> None:
        self.stream = stream
        self.clock = clock
        self.t0 = clock()
        self.progress: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.progress is None:
            if self.clock() - self.t0 < SHOW_AFTER_S or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.progress = Progress(
                TextColumn("eval"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("eval", total=total)
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@contextmanager
def progress_bar(
    stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
) -> Iterator[Callable[[int, int], None] | None]:
    """The runner's progress callback: a bar on a terminal's stderr, else nothing."""
    out = stream if stream is not None else sys.stderr
    if not getattr(out, "isatty", lambda: False)():
        yield None
        return
    bar = _Bar(out, clock)
    try:
        yield bar
    finally:
        bar.close()
