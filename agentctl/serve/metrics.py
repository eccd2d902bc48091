"""The counters `GET /metrics` shows, in the Prometheus text exposition format (0.0.4).

A tiny registry of our own rather than prometheus_client: a dozen counters and gauges,
labels, and the text format are forty lines, and a dependency (with its process-global
default registry) is more than that. Intake increments its counters here; the worker
(serve-act) increments its own through the same object:

    metrics.inc("agentctl_decisions_total", outcome="fire")
    metrics.inc("agentctl_actions_total", kind="invoke")
    metrics.observe("agentctl_approval_wait_seconds", 12.5)

Every name must be declared in METRICS (one list, the one /metrics documents), so a typo
is an error in a test, not a silently new series.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

# name → (type, help). Counters end in _total (Prometheus naming).
METRICS: dict[str, tuple[str, str]] = {
    "agentctl_events_accepted_total": ("counter", "Events stored in the intake queue."),
    "agentctl_events_duplicate_total": (
        "counter",
        "Events already in the queue (same source and id), accepted and not stored again.",
    ),
    "agentctl_requests_refused_total": ("counter", "Intake requests refused, by reason."),
    "agentctl_queue_depth": ("gauge", "Events stored and not yet processed."),
    "agentctl_events_processed_total": ("counter", "Events the worker has handled."),
    "agentctl_decisions_total": ("counter", "Policy decisions, by outcome."),
    "agentctl_actions_total": ("counter", "Actions run, by kind."),
    "agentctl_approval_wait_seconds": (
        "summary",
        "Time from an approval request to its resolution.",
    ),
}

Labels = tuple[tuple[str, str], ...]


class Metrics:
    """Thread-safe counters, gauges (read at scrape time) and summaries (count and sum)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, Labels], float] = {}
        self._gauges: dict[str, Callable[[], float]] = {}

    def _check(self, name: str, kinds: tuple[str, ...]) -> None:
        kind = METRICS.get(name, ("", ""))[0]
        if kind not in kinds:
            raise KeyError(
                f"{name} is not a declared {'/'.join(kinds)} (agentctl/serve/metrics.py)"
            )

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        self._check(name, ("counter",))
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def observe(self, name: str, value: float, **labels: str) -> None:
        self._check(name, ("summary",))
        lab = tuple(sorted(labels.items()))
        with self._lock:
            for suffix, add in (("_count", 1.0), ("_sum", value)):
                key = (name + suffix, lab)
                self._values[key] = self._values.get(key, 0.0) + add

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        """`name`'s value is `read()` at each scrape (e.g. the queue's depth)."""
        self._check(name, ("gauge",))
        self._gauges[name] = read

    def value(self, name: str, **labels: str) -> float:
        """The current value of one series (0 when never incremented); for tests and logs."""
        if name in self._gauges:
            return float(self._gauges[name]())
        with self._lock:
            return self._values.get((name, tuple(sorted(labels.items()))), 0.0)

    def exposition(self) -> str:
        """The whole registry as Prometheus text (`text/plain; version=0.0.4`)."""
        with self._lock:
            values = dict(self._values)
        lines: list[str] = []
        for name, (kind, help_text) in METRICS.items():
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            if kind == "gauge":
                read = self._gauges.get(name)
                if read is not None:
                    lines.append(f"{name} {_num(read())}")
                continue
            names = (name + "_count", name + "_sum") if kind == "summary" else (name,)
            series = sorted((k, v) for k, v in values.items() if k[0] in names)
            if not series:  # present from the start: a scrape can tell 0 from unknown
                lines.extend(f"{n} 0" for n in names)
            for (series_name, labels), v in series:
                lines.append(f"{series_name}{_labels(labels)} {_num(v)}")
        return "\n".join(lines) + "\n"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(v: float) -> str:
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == int(v) and abs(v) < 2**53:
        return str(int(v))
    return repr(v)
