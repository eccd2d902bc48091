"""A fast path for the CEL that policies write most: field tests and their combinations.

Most conditions are a handful of comparisons of event fields and metrics with literals
(`event.data.cost_usd > 80 && event.data.scope == "refunds:write"`). Handing every event
to the CEL library costs a conversion of the whole event into its values (tens of µs)
before the first comparison runs. For such expressions the engine instead runs a tree of
closures built here, straight over the parsed event: a few hundred nanoseconds.

The rule that keeps this safe: **the fast path answers only where CEL's answer is
certain**, and otherwise raises `Fallback`, and the engine asks CEL itself. It answers
for operands of one type (double, string, bool, null) compared, tested with `in`, combined
with `&&`, `||`, `!`, and for double arithmetic (`+ - * /`, unary `-`) and string `+`.
Everything else — a missing field, a null compared with a number, a division by zero, an
int where the event holds a list, any function but `has`, any syntax outside this
subset — is CEL's to decide, error messages included. So a decision is the same with and
without the fast path (tests/engine/test_fastpath.py checks it over generated expressions
and events), and expressions outside the subset simply never take it.

Numbers follow agentctl's rule: events and metrics hold doubles, and an integer literal
means a double (agentctl/expr.py, `doubles`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

Vars = dict[str, Any]
Fast = Callable[[Vars], Any]


class Fallback(Exception):
    """The fast path cannot be sure of CEL's answer here: evaluate with CEL."""


class _Unsupported(Exception):
    """The expression is outside the subset: it never takes the fast path."""


_FALLBACK = Fallback()  # raised often, never inspected: one instance is enough

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<str>"[^"\\\n]*"|'[^'\\\n]*')
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\],.+\-*/])
    )""",
    re.VERBOSE,
)
_RESERVED = frozenset({"in", "true", "false", "null", "has"})
_SCALARS = (float, str, bool, type(None))


def _tokenize(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    end = len(source)
    while pos < end:
        if source[pos:].strip() == "":
            break
        m = _TOKEN.match(source, pos)
        if m is None or m.end() == pos:
            raise _Unsupported
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over the subset, with CEL's precedence; builds closures."""

    def __init__(self, tokens: list[tuple[str, str]], roots: frozenset[str]) -> None:
        self.tokens = tokens
        self.i = 0
        self.roots = roots
        # what some nodes are, so that `path OP literal` compiles to one closure
        self.consts: dict[int, Any] = {}
        self.paths: dict[int, tuple[str, tuple[str, ...]]] = {}

    def const(self, value: Any) -> Fast:
        fn: Fast = lambda _v: value  # noqa: E731
        self.consts[id(fn)] = value
        return fn

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, want: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise _Unsupported
        tok = self.tokens[self.i]
        if want is not None and tok[1] != want:
            raise _Unsupported
        self.i += 1
        return tok

    def parse(self) -> Fast:
        node = self.or_()
        if self.i != len(self.tokens):
            raise _Unsupported
        return node

    def or_(self) -> Fast:
        left = self.and_()
        while self.peek() == "||":
            self.take()
            left = _or(left, self.and_())
        return left

    def and_(self) -> Fast:
        left = self.relation()
        while self.peek() == "&&":
            self.take()
            left = _and(left, self.relation())
        return left

    def relation(self) -> Fast:
        left = self.additive()
        op = self.peek()
        if op in ("==", "!=", "<", "<=", ">", ">=", "in") and self.tokens[self.i][0] != "str":
            self.take()
            right = self.additive()
            if self.peek() in ("==", "!=", "<", "<=", ">", ">=", "in"):
                raise _Unsupported  # chained relations: leave them to CEL
            path = self.paths.get(id(left))
            if path is not None and id(right) in self.consts:
                fused = _fused(op, path, self.consts[id(right)])
                if fused is not None:
                    return fused
            return _relation(op, left, right)
        return left

    def additive(self) -> Fast:
        left = self.multiplicative()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            left = _arith(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Fast:
        left = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            left = _arith(op, left, self.unary())
        return left

    def unary(self) -> Fast:
        op = self.peek()
        if op == "!" and self.tokens[self.i][0] == "op":
            self.take()
            return _not(self.unary())
        if op == "-" and self.tokens[self.i][0] == "op":
            self.take()
            return _neg(self.unary())
        return self.primary()

    def primary(self) -> Fast:
        kind, text = self.take()
        if kind == "num":
            return self.const(float(text))
        if kind == "str":
            return self.const(text[1:-1])
        if kind == "op" and text == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind == "op" and text == "[":
            items: list[Fast] = []
            if self.peek() != "]":
                items.append(self.or_())
                while self.peek() == ",":
                    self.take()
                    items.append(self.or_())
            self.take("]")
            if all(id(f) in self.consts for f in items):
                return self.const([self.consts[id(f)] for f in items])
            return _list(items)
        if kind != "ident":
            raise _Unsupported
        if text in ("true", "false"):
            return self.const(text == "true")
        if text == "null":
            return self.const(None)
        if text == "has":
            self.take("(")
            base, field = self.path(self.take()[1], for_has=True)
            self.take(")")
            return _has(base, field)
        if text in _RESERVED or text not in self.roots:
            raise _Unsupported
        return self.path(text)[0]

    def path(self, root: str, for_has: bool = False) -> tuple[Fast, str]:
        if root not in self.roots:
            raise _Unsupported
        fields: list[str] = []
        while self.peek() == ".":
            self.take()
            kind, name = self.take()
            if kind != "ident" or name in _RESERVED:
                raise _Unsupported
            fields.append(name)
        if self.peek() in ("(", "["):
            raise _Unsupported  # method calls, indexing: CEL's
        if for_has:
            if not fields:
                raise _Unsupported
            return _select(root, tuple(fields[:-1])), fields[-1]
        fn = _select(root, tuple(fields))
        if fields:
            self.paths[id(fn)] = (root, tuple(fields))
        return fn, ""


def _select(root: str, fields: tuple[str, ...]) -> Fast:
    if len(fields) == 1:
        (a,) = fields

        def one(v: Vars) -> Any:
            d = v[root]
            if type(d) is not dict:
                raise _FALLBACK
            x = d.get(a, _FALLBACK)
            if x is _FALLBACK:
                raise _FALLBACK
            return float(x) if type(x) is int else x

        return one
    if len(fields) == 2:
        a, b = fields

        def two(v: Vars) -> Any:
            d = v[root]
            if type(d) is not dict:
                raise _FALLBACK
            d = d.get(a)
            if type(d) is not dict:
                raise _FALLBACK
            x = d.get(b, _FALLBACK)
            if x is _FALLBACK:
                raise _FALLBACK
            return float(x) if type(x) is int else x

        return two

    def walk(v: Vars) -> Any:
        d = v[root]
        for f in fields:
            if type(d) is not dict or f not in d:
                raise _FALLBACK
            d = d[f]
        return float(d) if type(d) is int else d

    return walk


def _has(base: Fast, field: str) -> Fast:
    def has(v: Vars) -> bool:
        d = base(v)
        if type(d) is not dict:
            raise _FALLBACK
        return field in d

    return has


def _list(items: list[Fast]) -> Fast:
    return lambda v: [f(v) for f in items]


def _bool(node: Fast, v: Vars) -> bool:
    x = node(v)
    if type(x) is not bool:
        raise _FALLBACK
    return x


def _and(left: Fast, right: Fast) -> Fast:
    # CEL's && is commutative over errors (`error && false` is false): when the left side
    # cannot be decided here, CEL decides the whole expression
    return lambda v: _bool(left, v) and _bool(right, v)


def _or(left: Fast, right: Fast) -> Fast:
    return lambda v: _bool(left, v) or _bool(right, v)


def _not(node: Fast) -> Fast:
    return lambda v: not _bool(node, v)


def _neg(node: Fast) -> Fast:
    def neg(v: Vars) -> float:
        x = node(v)
        if type(x) is not float:
            raise _FALLBACK
        return -x

    return neg


def _arith(op: str, left: Fast, right: Fast) -> Fast:
    def arith(v: Vars) -> Any:
        a = left(v)
        b = right(v)
        ta = type(a)
        if ta is not type(b):
            raise _FALLBACK
        if ta is float:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if b == 0.0:
                raise _FALLBACK  # IEEE infinities and NaN: CEL's
            return a / b
        if ta is str and op == "+":
            return a + b
        raise _FALLBACK

    return arith


def _same_scalar(a: Any, b: Any) -> bool:
    t = type(a)
    return t is type(b) and t in _SCALARS


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _relation(op: str, left: Fast, right: Fast) -> Fast:
    if op == "==":

        def eq(v: Vars) -> bool:
            a, b = left(v), right(v)
            if not _same_scalar(a, b):
                raise _FALLBACK
            return bool(a == b)

        return eq
    if op == "!=":

        def ne(v: Vars) -> bool:
            a, b = left(v), right(v)
            if not _same_scalar(a, b):
                raise _FALLBACK
            return bool(a != b)

        return ne
    if op == "in":

        def member(v: Vars) -> bool:
            a, b = left(v), right(v)
            ta = type(a)
            if ta not in _SCALARS:
                raise _FALLBACK
            if type(b) is list:
                for x in b:
                    if type(x) is not ta:
                        raise _FALLBACK
                return a in b
            if type(b) is dict and ta is str:
                return a in b
            raise _FALLBACK

        return member
    compare: Callable[[Any, Any], bool] = _ORDER[op]

    def order(v: Vars) -> bool:
        a, b = left(v), right(v)
        t = type(a)
        if t is not type(b) or (t is not float and t is not str):
            raise _FALLBACK
        return bool(compare(a, b))

    return order


def _fused(op: str, path: tuple[str, tuple[str, ...]], const: Any) -> Fast | None:
    """`event.data.x OP literal` as one closure (the common shape: no call per node).
    None when the literal's type has no such shortcut (the general nodes handle it)."""
    root, fields = path
    if len(fields) > 2:
        return None
    if op == "in":
        if type(const) is not list or not const:
            return None
        t = type(const[0])
        if t not in _SCALARS or any(type(c) is not t for c in const):
            return None
        want = t
        test: Callable[[Any], bool] = frozenset(const).__contains__
    else:
        want = type(const)
        if want not in _SCALARS or (op not in ("==", "!=") and want not in (float, str)):
            return None
        # `x OP const` as the literal's own C method, one call: x < c is c > x
        method = {"==": "__eq__", "!=": "__ne__", "<": "__gt__", "<=": "__ge__",
                  ">": "__lt__", ">=": "__le__"}[op]  # fmt: skip
        test = getattr(const, method)

    a = fields[0]
    b = fields[1] if len(fields) == 2 else None

    def fused(v: Vars) -> bool:
        d = v[root]
        if type(d) is not dict:
            raise _FALLBACK
        if b is not None:
            d = d.get(a)
            if type(d) is not dict:
                raise _FALLBACK
            x = d.get(b, _FALLBACK)
        else:
            x = d.get(a, _FALLBACK)
        t = type(x)
        if t is not want:
            if t is int and want is float:  # what the event holds as 3 CEL reads as 3.0
                return test(float(x))
            raise _FALLBACK
        return test(x)

    return fused


def compile_fast(source: str, roots: frozenset[str]) -> Fast | None:
    """Closures for `source` when it is inside the subset and reads only `roots`; else None.

    The result, called with the variables, returns what CEL would, or raises Fallback.
    """
    try:
        return _Parser(_tokenize(source), roots).parse()
    except (_Unsupported, RecursionError):
        return None
