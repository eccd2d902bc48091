"""What `eval --jobs N` needs of code it shares between threads."""

from __future__ import annotations

import subprocess
import sys

# a fresh interpreter: eight threads reach CEL first at the same moment
FIRST_USE = """
import threading
from agentctl import expr

barrier = threading.Barrier(8)
errors = []

def work():
    barrier.wait()
    try:
        ctx = expr.context({"output": expr.to_cel({"ok": True})})
        assert expr.compile("output.ok").evaluate(ctx) is True
    except BaseException as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors)
"""


def test_cel_is_loaded_once_when_threads_first_use_it_together() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", FIRST_USE], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", proc.stdout
    assert "panicked" not in proc.stderr
