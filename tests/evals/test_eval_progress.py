"""The progress bar of `agentctl eval`: only on a terminal, only once a run lasts over a
second (cli/eval_merge.py). The clock is passed in: no test waits for it."""

from __future__ import annotations

import io

from agentctl.cli.eval_merge import SHOW_AFTER_S, progress_bar


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    out = io.StringIO()
    with progress_bar(out, clock=lambda: 100.0) as bar:
        assert bar is None
    assert out.getvalue() == ""


def test_a_bar_on_a_terminal_once_the_run_lasts_over_a_second() -> None:
    now = [0.0]
    out = Tty()
    with progress_bar(out, clock=lambda: now[0]) as bar:
        assert bar is not None
        bar(1, 10)
        now[0] = SHOW_AFTER_S / 2
        bar(2, 10)
        assert out.getvalue() == ""  # a short run shows nothing
        now[0] = SHOW_AFTER_S + 0.1
        bar(3, 10)
        bar(4, 10)
    assert "eval" in out.getvalue() and "/10" in out.getvalue()


def test_a_run_done_within_the_second_shows_nothing() -> None:
    out = Tty()
    now = [0.0]
    with progress_bar(out, clock=lambda: now[0]) as bar:
        assert bar is not None
        bar(1, 2)
        now[0] = 5.0
        bar(2, 2)  # the last one: nothing left to show progress of
    assert out.getvalue() == ""
