"""The progress bar: only on a terminal, only once a stream has run for a second."""

from __future__ import annotations

import io
from typing import Any

import pytest

from agentctl.cli.simulate import _Bar


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with _Bar("events.jsonl") as bar:
        bar.start -= 5
        bar.update(10, 100)
        assert bar.progress is None


def test_bar_waits_a_second_then_draws_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    out: Any = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    with _Bar("events.jsonl") as bar:
        bar.update(10, 100)  # a fast stream: nothing yet
        assert bar.progress is None
        bar.start -= 2
        bar.update(50, 100)
        assert bar.progress is not None
        assert bar.progress.tasks[0].completed == 50
    assert out.getvalue() == ""  # data only on stdout, progress only on stderr
