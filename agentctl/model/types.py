"""Typed values the YAML carries as text: durations, money, dates, names and references."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# The JSON Schema patterns accept exactly what the parsers below accept (tests/schema).
DURATION_PATTERN = r"^\s*(\d+(\.\d+)?(ms|s|m|h|d|w))+\s*$"


def parse_duration(value: Any) -> timedelta:
    """`90s`, `15m`, `3h`, `90d`, `2w`, `500ms`, `1h30m`. Bare numbers are refused: units matter."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as '90s', '15m', '3h' or '90d', got {value!r}")
    text = value.strip()
    pos = 0
    seconds = 0.0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            break
        seconds += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(
            f"{value!r} is not a duration: write e.g. '90s', '15m', '3h', '90d', '1h30m'"
        )
    try:
        return timedelta(seconds=seconds)
    except OverflowError:  # pydantic reports only ValueError: anything else would be a crash
        raise ValueError(f"{value!r} is too long a duration") from None


def format_duration(td: timedelta) -> str:
    total_ms = round(td.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        n, total_ms = divmod(total_ms, size)
        if n:
            out.append(f"{n}{unit}")
    if total_ms:
        out.append(f"{total_ms}ms")
    return "".join(out)


# digits with optional thousands separators in groups of three: "1,200.50", not "1,2,3"
_MONEY = re.compile(
    r"^\s*\$?\s*(-?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?)\s*(USD)?\s*$", re.IGNORECASE
)
MONEY_PATTERN = (
    r"^(?=.*[0-9])\s*\$?\s*-?"  # at least one digit somewhere
    r"([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]+)?\s*([Uu][Ss][Dd])?\s*$"
)


def parse_money(value: Any) -> Decimal:
    """`12.50`, `"$1,200"`, `"300 USD"` → Decimal. Floats go through their shortest repr."""
    if isinstance(value, bool):
        raise ValueError(f"expected an amount in USD, got {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("an amount must be a finite number")
        return Decimal(repr(value))
    if isinstance(value, str):
        m = _MONEY.match(value)
        if m:
            try:
                return Decimal(m.group(1).replace(",", ""))
            except InvalidOperation:
                pass
    raise ValueError(f"{value!r} is not an amount: write e.g. 12.50, '$1,200' or '300 USD'")


USD_PLACES = 6  # sub-cent prices (per 1k tokens) show; computed values stop here


def format_usd(value: Decimal | float | int, places: int = USD_PLACES) -> str:
    """The one way an amount is shown: `$1,200.00`, `$0.10`, `$0.005`, `-$3.50`.

    Two decimals at least, more when the amount has them (up to `places`, rounded), so
    a $0.005 budget reads "$0.005", never "$0.00"; what the user wrote is what they read.
    A statistic (a mean) passes fewer `places`: its sixth decimal is noise.
    """
    d = value if isinstance(value, Decimal) else parse_money(value)
    if not d.is_finite():
        return str(d)
    # enough digits for any amount: the default context (28) cannot quantize 1e30 to cents
    ctx = Context(prec=max(28, d.adjusted() + places + 2))
    d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=ctx)
    whole, _, frac = f"{abs(d):,f}".partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return ("-$" if d < 0 else "$") + f"{whole}.{frac}"


def parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2027-01-31")


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["90s", "3h"]}),
]

Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    PlainSerializer(lambda d: float(d), return_type=float),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": MONEY_PATTERN}],
            "description": "an amount in USD: 12.50, '$1,200' or '300 USD'",
        }
    ),
]

Date = Annotated[
    date,
    BeforeValidator(parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2027-01-31"]}),
]

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_NAME = re.compile(NAME_PATTERN)


def check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            f"{value!r} is not a valid name: use lowercase letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters"
        )
    return value


Name = Annotated[
    str,
    AfterValidator(check_name),
    WithJsonSchema({"type": "string", "pattern": NAME_PATTERN}),
]

# Operation names are tool names (OpenAI tool calling, MCP) and the second half of a
# scope, both of which allow `_`: `inventory.get_stock`.
OPERATION_PATTERN = r"^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$"
_OPERATION = re.compile(OPERATION_PATTERN)


def check_operation(value: str) -> str:
    if not _OPERATION.match(value):
        raise ValueError(
            f"{value!r} is not a valid operation name: use lowercase letters, digits, '-' "
            "and '_', starting and ending with a letter or digit, at most 63 characters"
        )
    return value


OperationName = Annotated[
    str,
    AfterValidator(check_operation),
    WithJsonSchema({"type": "string", "pattern": OPERATION_PATTERN}),
]

# kind/name references. A field that can only hold one kind accepts the bare name too
# and stores the full reference, the way Backstage entity refs work.
REF_KINDS = {
    "role": "Role",
    "connector": "Connector",
    "charter": "Charter",
    "policy": "Policy",
    "contract": "Contract",
    "evalsuite": "EvalSuite",
}


def _ref(kind: str) -> Any:
    pattern = rf"^({kind}/)?[a-z0-9]([-a-z0-9]{{0,61}}[a-z0-9])?$"

    def normalise(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if "/" in value:
            prefix, _, rest = value.partition("/")
            if prefix != kind:
                raise ValueError(f"{value!r} must refer to a {REF_KINDS[kind]}: write {kind}/NAME")
            check_name(rest)
            return value
        check_name(value)
        return f"{kind}/{value}"

    return Annotated[
        str,
        AfterValidator(normalise),
        WithJsonSchema({"type": "string", "pattern": pattern, "examples": [f"{kind}/example"]}),
    ]


RoleRef = _ref("role")
CharterRef = _ref("charter")
SuiteRef = _ref("evalsuite")

SCOPE_PATTERN = r"^[a-z0-9][-a-z0-9_]*(\.[-a-z0-9_*]+)+$"
_SCOPE = re.compile(SCOPE_PATTERN)


def check_scope(value: str) -> str:
    if not _SCOPE.match(value):
        raise ValueError(
            f"{value!r} is not a scope: write CONNECTOR.PERMISSION, e.g. 'inventory.read'"
        )
    return value


Scope = Annotated[
    str,
    AfterValidator(check_scope),
    WithJsonSchema({"type": "string", "pattern": SCOPE_PATTERN, "examples": ["inventory.read"]}),
]

DATA_CLASS_PATTERN = r"^[a-z0-9][-a-z0-9_]*(\.[-a-z0-9_]+)*$"
_DATA_CLASS = re.compile(DATA_CLASS_PATTERN)


def check_data_class(value: str) -> str:
    # the published JSON Schema carries the pattern: the model must not accept more
    if not _DATA_CLASS.match(value):
        raise ValueError(
            f"{value!r} is not a data class: write lowercase words joined by '.', e.g. 'pii.ssn'"
        )
    return value


DataClass = Annotated[
    str,
    AfterValidator(check_data_class),
    WithJsonSchema({"type": "string", "pattern": DATA_CLASS_PATTERN, "examples": ["pii.ssn"]}),
]

# A CEL expression. Compiled and checked by lint, not by the model.
Cel = Annotated[str, WithJsonSchema({"type": "string", "description": "a CEL expression"})]
