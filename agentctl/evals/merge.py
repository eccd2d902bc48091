"""`agentctl eval merge`: the JSON results of `eval --shard i/n` joined into the report and
verdict one run of every shard's cases gives (docs/evals.md). Pure except `read_result`.

Shards are refused when they cannot add up to one run: results of another commit, of a
suite whose document differs, of another selection or shard count, a shard given twice
or missing, a case in two results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentctl.errors import UsageError
from agentctl.evals.judge import SuiteVerdict
from agentctl.evals.runner import EvalReport

HINT = "merge the --format json results of one `agentctl eval --shard i/n` per shard"


def read_result(path: Path) -> tuple[str, EvalReport]:
    """A shard's result file, read back into its report (with the file's name)."""
    from agentctl.render.eval_data import report_from_json

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it: {exc.strerror or exc}", hint=HINT) from None
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}", hint=HINT
        ) from None
    try:
        if not isinstance(doc, dict) or "suites" not in doc:
            raise KeyError("suites")
        return str(path), report_from_json(doc)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise UsageError(
            f"{path}: not the result of agentctl eval --format json (at {exc})", hint=HINT
        ) from None


def _same(results: list[tuple[str, EvalReport]], what: str, key: Any) -> None:
    first_name, first = results[0]
    for name, r in results[1:]:
        if key(r) != key(first):
            raise UsageError(
                f"cannot merge {name} with {first_name}: different {what} "
                f"({key(r)!r} vs {key(first)!r})",
                hint=HINT,
            )


def merge_reports(results: list[tuple[str, EvalReport]]) -> EvalReport:
    """One report from the shards' reports (file name, report); UsageError when they are
    not the shards of one run."""
    for name, r in results:
        if r.shard is None:
            raise UsageError(f"{name}: not a shard's result (no --shard i/n)", hint=HINT)
    _same(results, "commits", lambda r: r.commit)
    _same(results, "revisions", lambda r: r.rev)
    _same(results, "shard counts", lambda r: r.shard[1])
    _same(results, "--repeat", lambda r: r.repeat)
    _same(results, "case selections (suites, filters or cases changed)", lambda r: r.order)
    seen: dict[int, str] = {}
    for name, r in results:
        assert r.shard is not None
        i, n = r.shard
        if i in seen:
            raise UsageError(f"shard {i}/{n} is given twice: {seen[i]} and {name}", hint=HINT)
        seen[i] = name
    n = results[0][1].shard[1]  # type: ignore[index]
    missing = [f"{i}/{n}" for i in range(1, n + 1) if i not in seen]
    if missing:
        raise UsageError(f"shard {', '.join(missing)} missing", hint=HINT)
    order = results[0][1].order
    position = {key: k for k, key in enumerate(order)}
    suites: dict[str, SuiteVerdict] = {}
    origin: dict[tuple[str, str], str] = {}
    for name, r in results:
        for s in r.suites:
            have = suites.get(s.suite)
            if have is None:
                have = suites[s.suite] = SuiteVerdict(
                    s.suite, s.charter, s.thresholds, [], version=s.version
                )
            elif (have.version, have.charter, have.thresholds) != (
                s.version,
                s.charter,
                s.thresholds,
            ):
                raise UsageError(
                    f"cannot merge {name}: evalsuite/{s.suite} differs from the other "
                    "shards' (another version of the suite or its charter's gate)",
                    hint=HINT,
                )
            for c in s.cases:
                key = (s.suite, c.case)
                if key not in position:
                    raise UsageError(f"{name}: case {s.suite}/{c.case} is not in the selection")
                if key in origin:
                    raise UsageError(
                        f"shards overlap: case {s.suite}/{c.case} is in {origin[key]} and {name}",
                        hint=HINT,
                    )
                origin[key] = name
                have.cases.append(c)
    absent = [f"{a}/{b}" for a, b in order if (a, b) not in origin]
    if absent:
        raise UsageError(
            f"the shards lack {len(absent)} selected case(s): {', '.join(absent[:3])}", hint=HINT
        )
    for s in suites.values():
        s.cases.sort(key=lambda c: position[(s.suite, c.case)])
    ordered = sorted(suites.values(), key=lambda s: position[(s.suite, s.cases[0].case)])
    stopped = [r.stopped for _n, r in results if r.stopped]
    first = results[0][1]
    return EvalReport(
        ordered,
        first.rev,
        first.commit,
        repeat=first.repeat,
        max_cost_usd=first.max_cost_usd,
        spent_usd=sum(r.spent_usd for _n, r in results),
        stopped="; ".join(stopped) if stopped else None,
    )
