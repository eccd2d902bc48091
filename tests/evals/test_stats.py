"""The Wilson score interval (agentctl/evals/stats.py): properties and known values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentctl.evals.stats import wilson


@st.composite
def tallies(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=100_000))
    return draw(st.integers(min_value=0, max_value=n)), n


@given(tallies())
def test_the_interval_lies_in_0_1_and_contains_the_observed_rate(t: tuple[int, int]) -> None:
    passed, n = t
    low, high = wilson(passed, n)
    assert 0.0 <= low <= passed / n <= high <= 1.0
    assert (low == 0.0) == (passed == 0) and (high == 1.0) == (passed == n)


@given(tallies())
def test_the_interval_is_symmetric_in_passes_and_failures(t: tuple[int, int]) -> None:
    passed, n = t
    low, high = wilson(passed, n)
    flip_low, flip_high = wilson(n - passed, n)
    assert low == pytest.approx(1 - flip_high, abs=1e-12)
    assert high == pytest.approx(1 - flip_low, abs=1e-12)


@given(st.integers(min_value=1, max_value=2000))
def test_more_runs_narrow_the_interval(n: int) -> None:
    low, high = wilson(n, n)
    more_low, _ = wilson(2 * n, 2 * n)
    assert high == 1.0 and more_low > low


@pytest.mark.parametrize(
    ("passed", "n", "low", "high"),
    [
        # Wilson (1927); the values statsmodels' proportion_confint(method="wilson") gives
        (0, 10, 0.0, 0.277532),
        (10, 10, 0.722468, 1.0),
        (5, 10, 0.236593, 0.763407),
        (1, 1, 0.206549, 1.0),
        (1, 10, 0.017876, 0.404150),
        (6, 6, 0.609666, 1.0),
    ],
)
def test_known_values(passed: int, n: int, low: float, high: float) -> None:
    got = wilson(passed, n)
    assert got.low == pytest.approx(low, abs=1e-6)
    assert got.high == pytest.approx(high, abs=1e-6)


def test_no_runs_say_nothing_and_nonsense_is_refused() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(3, 2)
