"""The baseline's pure core: the exact McNemar test, pairing, and repeats collapsed."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentctl.evals.baseline import (
    BaselineReport,
    Change,
    Outcome,
    collapse,
    compare_suite,
    mcnemar_exact,
)

counts = st.integers(min_value=0, max_value=400)


@given(counts, counts)
def test_mcnemar_is_symmetric_and_a_probability(b: int, c: int) -> None:
    p = mcnemar_exact(b, c)
    assert p == mcnemar_exact(c, b)
    assert 0.0 < p <= 1.0


@given(counts)
def test_mcnemar_is_one_when_as_many_regressed_as_improved(n: int) -> None:
    assert mcnemar_exact(n, n) == 1.0


@given(counts, counts)
def test_mcnemar_falls_as_the_pairs_grow_more_lopsided(b: int, c: int) -> None:
    lo, hi = min(b, c), max(b, c)
    assert mcnemar_exact(lo, hi + 1) <= mcnemar_exact(lo, hi)


@given(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
def test_mcnemar_is_twice_the_smaller_binomial_tail(b: int, c: int) -> None:
    n, k = b + c, min(b, c)
    tail = sum(Fraction(math.comb(n, i), 2**n) for i in range(k + 1))
    assert mcnemar_exact(b, c) == float(min(Fraction(1), 2 * tail))


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        (0, 0, 1.0),
        (1, 0, 1.0),  # one regression alone proves nothing
        (0, 5, 0.0625),  # 2 / 2**5
        (6, 0, 0.03125),  # 2 / 2**6
        (1, 9, 0.021484375),  # 2 * (1 + 10) / 2**10
        (2, 8, 0.109375),  # 2 * (1 + 10 + 45) / 2**10
        (0, 20, 2 / 2**20),
    ],
)
def test_mcnemar_known_values(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == p


def test_mcnemar_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_mcnemar_on_large_counts_stays_exact() -> None:
    # 10,000 discordant pairs: no float underflow in the sum, no overflow in 2**n
    # (the normal approximation with continuity correction gives 0.0466)
    assert mcnemar_exact(4_900, 5_100) == pytest.approx(0.046586, abs=1e-6)
    assert mcnemar_exact(0, 10_000) > 0.0  # 2 / 2**10000 is below any double: the least one


def test_pairing_regressions_improvements_and_deltas() -> None:
    before = {
        "a": Outcome("pass", 0.01, 100.0),
        "b": Outcome("pass", 0.01, 200.0),
        "c": Outcome("fail", 0.01, 300.0),
        "d": Outcome("error", 0.01, 50.0),
        "gone": Outcome("pass"),
    }
    after = {
        "a": Outcome("pass", 0.02, 100.0),
        "b": Outcome("error", 0.02, 900.0),
        "c": Outcome("pass", 0.02, 300.0),
        "d": Outcome("fail", 0.02, 50.0),  # not passing either way: neither
        "new": Outcome("pass"),
    }
    cmp = compare_suite("s", "charter/x", before, after, "run", "ran at abc")
    assert cmp.paired == 4
    assert cmp.regressions == [Change("b", "pass", "error")]
    assert cmp.improvements == [Change("c", "fail", "pass")]
    assert (cmp.added, cmp.dropped) == (["new"], ["gone"])
    assert cmp.p_value == 1.0
    assert cmp.cost_per_case_usd == pytest.approx((0.01, 0.02))
    assert cmp.p95_latency_ms == (300.0, 900.0)
    doc = cmp.to_json()
    assert doc["cost_per_case_usd"] == {"baseline": 0.01, "now": 0.02, "delta": 0.01}
    assert doc["p95_latency_ms"] == {"baseline": 300.0, "now": 900.0, "delta": 600.0}
    assert doc["regressions"] == [{"case": "b", "before": "pass", "after": "error"}]


def test_nothing_paired_has_no_deltas() -> None:
    cmp = compare_suite("s", "charter/x", {}, {"a": Outcome("pass")}, "none", "not at v1")
    assert (cmp.paired, cmp.cost_per_case_usd, cmp.p95_latency_ms) == (0, None, None)
    assert cmp.p_value == 1.0


def test_the_regression_gate() -> None:
    cmp = compare_suite(
        "s", "charter/x", {"a": Outcome("pass")}, {"a": Outcome("fail")}, "run", "x"
    )
    assert BaselineReport("v1", None, [cmp]).passed  # no --max-regressions: no gate
    assert BaselineReport("v1", None, [cmp], max_regressions=1).passed
    gate = BaselineReport("v1", None, [cmp], max_regressions=0)
    assert not gate.passed
    assert gate.reason == "1 case(s) regressed against v1, more than --max-regressions 0"


def test_repeats_collapse_to_a_stable_pass() -> None:
    assert collapse([Outcome("pass", 1.0, 10.0), Outcome("pass", 3.0, 30.0)]) == Outcome(
        "pass", 2.0, 20.0
    )
    assert collapse([Outcome("pass"), Outcome("fail"), Outcome("error")]).outcome == "fail"
    assert collapse([Outcome("pass"), Outcome("error")]).outcome == "error"
    with pytest.raises(ValueError):
        collapse([])


outcomes = st.dictionaries(
    st.sampled_from([f"case-{i}" for i in range(12)]),
    st.builds(Outcome, st.sampled_from(["pass", "fail", "error"])),
)


@given(outcomes, outcomes)
def test_swapping_the_sides_swaps_regressions_and_improvements(
    before: dict[str, Outcome], after: dict[str, Outcome]
) -> None:
    there = compare_suite("s", "charter/x", before, after, "run", "")
    back = compare_suite("s", "charter/x", after, before, "run", "")
    assert {c.case for c in there.regressions} == {c.case for c in back.improvements}
    assert {c.case for c in there.improvements} == {c.case for c in back.regressions}
    assert there.p_value == back.p_value
    assert len(there.regressions) + len(there.improvements) <= there.paired
    assert there.paired + len(there.added) == len(after)
    assert there.paired + len(there.dropped) == len(before)
