"""CEL: compile once, check at lint time, evaluate.

The Rust-backed `common-expression-language` package evaluates ~2M expressions/s with a
prepared context (the pure-Python `cel-python` ~4.5k/s). Its package `__init__` pulls in
a REPL (~160 ms), so we load only its compiled module, and only when first needed.

Numbers are doubles. CEL refuses `2 * 0.9` (int times double), but users write `target: 2`
in YAML and `event.units * 0.9` in a condition and expect it to work. So every number
that reaches CEL from YAML, JSON, events or metrics is a double (`to_cel`), and every
decimal integer literal in an expression is read as a double (`2` means `2.0`), except a
list index (`items[0]`). Comparisons across int and double work in CEL anyway; if an
expression calls `int(...)` or `size(...)` and does arithmetic with the result, wrap
it in `double(...)`.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import itertools
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from types import ModuleType
from typing import Any

_cel: ModuleType | None = None
# `eval --jobs N` evaluates from several threads at once: the extension must be loaded
# once (a second concurrent load panics in its logger setup and fails the case)
_cel_lock = threading.Lock()


def _module() -> ModuleType:
    """The compiled `cel.cel` extension, without the package's heavy `__init__`."""
    if _cel is not None:
        return _cel
    with _cel_lock:
        return _load()


def _load() -> ModuleType:
    global _cel
    if _cel is None:
        spec = importlib.util.find_spec("cel")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("the 'common-expression-language' package is not installed")
        folder = next(iter(spec.submodule_search_locations))
        names = [
            n for n in os.listdir(folder) if n.startswith("cel.") and n.endswith((".so", ".pyd"))
        ]
        if not names:  # an unusual build: fall back to the package itself
            import cel

            _cel = cel
            return _cel
        path = os.path.join(folder, names[0])
        loader = importlib.machinery.ExtensionFileLoader("cel.cel", path)
        mspec = importlib.util.spec_from_file_location("cel.cel", path, loader=loader)
        assert mspec is not None
        mod = importlib.util.module_from_spec(mspec)
        loader.exec_module(mod)
        _cel = mod
    return _cel


class CelError(Exception):
    """A CEL expression that does not compile, or failed to evaluate."""

    def __init__(self, message: str, column: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column  # 1-based, within the expression
        self.hint = hint


# --- the variables each place may use ---------------------------------------------------

CONTEXTS: dict[str, frozenset[str]] = {
    "condition": frozenset({"event", "metrics", "state"}),
    "action_input": frozenset({"event", "metrics", "state"}),
    "approval": frozenset({"plan", "event", "metrics", "state"}),
    "assertion": frozenset({"output", "trace", "input"}),
}

_BUILTINS = frozenset(
    [
        "size",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "duration",
        "timestamp",
        "type",
        "dyn",
        "matches",
        "contains",
        "startsWith",
        "endsWith",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getFullYear",
        "getHours",
        "getMilliseconds",
        "getMinutes",
        "getMonth",
        "getSeconds",
        "has",
        "all",
        "exists",
        "exists_one",
        "map",
        "filter",
    ]
)


def _cel_max(*args: Any) -> Any:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    return max(values)


def _cel_min(*args: Any) -> Any:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    return min(values)


def _cel_abs(x: Any) -> Any:
    return abs(x)


# Functions we add to CEL's standard library (registered on every context).
FUNCTIONS: dict[str, Callable[..., Any]] = {"max": _cel_max, "min": _cel_min, "abs": _cel_abs}
KNOWN_FUNCTIONS = _BUILTINS | frozenset(FUNCTIONS)

_MACRO_VAR = re.compile(r"\.(?:exists_one|exists|all|map|filter)\(\s*([A-Za-z_]\w*)\s*,")

# Tokens, for the literal rewrite: strings (so we never touch digits inside them), numbers.
_TOKEN = re.compile(
    r"""(?P<str>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))"""
    r"""|(?P<num>0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?)"""
    r"""|(?P<ident>[A-Za-z_]\w*)"""
    r"""|(?P<other>.)""",
    re.DOTALL,
)


def doubles(source: str) -> str:
    """Rewrite decimal integer literals as doubles, except list indexes (`xs[0]`)."""
    out: list[str] = []
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(source)]
    significant = [i for i, (kind, text) in enumerate(tokens) if not text.isspace()]
    prev_of: dict[int, str] = {}
    next_of: dict[int, str] = {}
    for a, b in itertools.pairwise(significant):
        next_of[a] = tokens[b][1]
        prev_of[b] = tokens[a][1]
    for i, (kind, text) in enumerate(tokens):
        if (
            kind == "num"
            and text.isdigit()
            and not (prev_of.get(i) == "[" and next_of.get(i) == "]")
            and not (i > 0 and tokens[i - 1][1] == ".")
        ):
            out.append(text + ".0")
        else:
            out.append(text)
    return "".join(out)


@dataclass(frozen=True)
class Expr:
    """A compiled CEL expression; evaluate it against a prepared context many times."""

    source: str
    program: Any
    variables: frozenset[str]
    functions: frozenset[str]

    def evaluate(self, context: Any) -> Any:
        """Evaluate; `context` is a dict of `to_cel` values or a prepared `cel.Context`."""
        try:
            return self.program.execute(context)
        except Exception as exc:  # the extension raises TypeError, KeyError, ValueError, ...
            raise CelError(_runtime_message(exc)) from None


def _runtime_message(exc: Exception) -> str:
    text = str(exc).strip()
    if isinstance(exc, KeyError):
        return f"no such key: {text}"
    first = text.split(". ", 1)[0]
    return first if first else type(exc).__name__


_PARSE_POS = re.compile(r"<input>:(\d+):(\d+): (.*?)(?:\n|$)")


@lru_cache(maxsize=4096)
def compile(source: str) -> Expr:
    """Compile once (cached by source). Raises CelError with the column of a syntax error."""
    if not isinstance(source, str) or not source.strip():
        raise CelError("empty expression", 1, "write a CEL expression, e.g. event.qty > 0")
    cel = _module()
    try:
        original = cel.compile(source)
    except Exception as exc:
        text = str(exc)
        m = _PARSE_POS.search(text)
        if m:
            line, col, msg = int(m.group(1)), int(m.group(2)), m.group(3)
            # columns of a multi-line expression: count from the start of the source
            offset = sum(len(ln) + 1 for ln in source.split("\n")[: line - 1])
            raise CelError(f"CEL syntax error: {_short(msg)}", offset + col) from None
        raise CelError(f"CEL syntax error: {text.splitlines()[0]}") from None
    program = cel.compile(doubles(source))
    comprehension = set(_MACRO_VAR.findall(source))
    variables = frozenset(v for v in original.variables() if v not in comprehension)
    functions = frozenset(
        f for f in original.functions() if f[:1].isalpha() and not f.startswith("@")
    )
    return Expr(source, program, variables, functions)


def _short(msg: str) -> str:
    msg = msg.strip().removeprefix("Syntax error: ")
    if msg.startswith("mismatched input '<EOF>'"):
        return "the expression ends too early"
    if "expecting {" in msg:
        msg = msg.split(" expecting {", 1)[0]
    return msg


@dataclass(frozen=True)
class CheckProblem:
    message: str
    column: int | None = None
    hint: str | None = None


def check(source: str, allowed: Iterable[str]) -> list[CheckProblem]:
    """Lint-time check: compiles, uses only `allowed` variables and known functions.

    An expression with no variables at all is evaluated here, so `'a' + 1` is caught now
    rather than on the first event in production.
    """
    import difflib

    try:
        expr = compile(source)
    except CelError as exc:
        return [CheckProblem(exc.message, exc.column, exc.hint)]
    allowed_set = set(allowed)
    problems: list[CheckProblem] = []
    for var in sorted(expr.variables - allowed_set):
        close = difflib.get_close_matches(var, sorted(allowed_set), n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        problems.append(
            CheckProblem(
                f"unknown variable {var!r}: this expression may use "
                + ", ".join(sorted(allowed_set)),
                _column_of(source, var),
                hint,
            )
        )
    for fn in sorted(expr.functions - KNOWN_FUNCTIONS):
        close = difflib.get_close_matches(fn, sorted(KNOWN_FUNCTIONS), n=1)
        problems.append(
            CheckProblem(
                f"unknown function {fn!r}",
                _column_of(source, fn),
                f"did you mean {close[0]!r}?" if close else "see docs/cel.md for the functions",
            )
        )
    if not problems and not expr.variables:
        try:
            expr.evaluate(context({}))
        except CelError as exc:
            problems.append(CheckProblem(f"CEL error: {exc.message}", 1))
    return problems


def _column_of(source: str, word: str) -> int | None:
    m = re.search(rf"\b{re.escape(word)}\b", source)
    return m.start() + 1 if m else None


def to_cel(value: Any) -> Any:
    """Python/JSON values → CEL values: numbers become doubles; dates and money too."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_cel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_cel(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value
    return value


def context(variables: Mapping[str, Any]) -> Any:
    """A prepared context: variables (already `to_cel`'d) plus our functions."""
    ctx = _module().Context(dict(variables), dict(FUNCTIONS))
    return ctx


def evaluate(source: str, variables: Mapping[str, Any]) -> Any:
    """Convenience for one-off evaluation (tests, REPL-like uses)."""
    return compile(source).evaluate(context({k: to_cel(v) for k, v in variables.items()}))


def from_cel(value: Any) -> Any:
    """CEL results → plain JSON-able values (whole doubles stay floats; callers decide)."""
    if isinstance(value, dict):
        return {str(k): from_cel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_cel(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
