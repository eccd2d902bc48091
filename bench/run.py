"""`make bench`: run every bench/bench_*.py and print one table.

Each module defines `run(scale: float) -> list[Row]`. Targets are ratios measured in the
same run (never absolute times), so the table means the same on any machine.
`--scale 0.1` gives a quick, bounded run (CI uses it to check the benches still work).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Row:
    bench: str  # e.g. "load 10k resources"
    metric: str  # e.g. "positions / fastest C parse"
    value: str  # formatted
    target: str = ""  # e.g. ">= 0.85"
    ok: bool | None = None  # None: reported, no target


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod
    spec.loader.exec_module(mod)
    return mod


def table(rows: list[Row]) -> str:
    head = ("benchmark", "metric", "value", "target", "ok")
    cells = [head] + [
        (r.bench, r.metric, r.value, r.target, "" if r.ok is None else ("yes" if r.ok else "NO"))
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    lines = ["| " + " | ".join(c[i].ljust(widths[i]) for i in range(5)) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    ap.add_argument("only", nargs="*", help="bench module names (default: all)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    rows: list[Row] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem not in args.only and path.stem[6:] not in args.only:
            continue
        print(f"running {path.stem} (scale {args.scale}) ...", file=sys.stderr, flush=True)
        rows.extend(_load(path).run(args.scale))
    print(table(rows))
    missed = [r for r in rows if r.ok is False]
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
