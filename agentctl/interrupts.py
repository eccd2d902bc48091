"""Ctrl-C never lands between a step and its event.

A KeyboardInterrupt raised between an executed call and the line that records it would
leave the call unledgered while the run's counters saw it. `held()` makes recording atomic
with respect to SIGINT: inside it, a SIGINT is noted and raised as KeyboardInterrupt when
the block ends. Only the main thread can receive Python signals; elsewhere, or when someone
else installed a SIGINT handler, `held()` does nothing.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

_depth = 0
_pending = False


def _note(_signum: int, _frame: FrameType | None) -> None:
    global _pending
    _pending = True


class held:
    """`with held(): ...` — a SIGINT during the block is raised after it."""

    __slots__ = ("_active",)

    def __enter__(self) -> held:
        global _depth, _pending
        self._active = False
        if threading.current_thread() is not threading.main_thread():
            return self
        if _depth == 0:
            if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
                return self
            _pending = False
            signal.signal(signal.SIGINT, _note)
        _depth += 1
        self._active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _depth, _pending
        if not self._active:
            return
        _depth -= 1
        if _depth == 0:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            if _pending:
                _pending = False
                raise KeyboardInterrupt
