"""Statistics for eval results. Pure: numbers in, numbers out.

The pass rate of a few runs is a poor estimate on its own: 5 passes out of 5 is
consistent with a true rate well under 60%. The Wilson score interval says how far the
true rate may be from what was seen; unlike the normal ("Wald") interval it never leaves
[0, 1] and stays honest at 0 and n passes, which is where eval suites live.
"""

from __future__ import annotations

import math
from typing import NamedTuple

# the two-sided 95% normal quantile (scipy.stats.norm.ppf(0.975))
Z95 = 1.959963984540054


class Interval(NamedTuple):
    low: float
    high: float


def wilson(passed: int, n: int, z: float = Z95) -> Interval:
    """The Wilson score interval of a pass rate `passed`/`n` (95% by default).

    No runs say nothing: (0, 1). The bounds are clamped to [0, 1] and pinned at 0 passes
    (low 0) and n passes (high 1), where rounding would otherwise leave them a hair off.
    """
    if n < 0 or passed < 0 or passed > n:
        raise ValueError(f"cannot take a pass rate of {passed} out of {n}")
    if n == 0:
        return Interval(0.0, 1.0)
    p = passed / n
    z2 = z * z
    denom = 1 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if passed == 0 else max(0.0, min(p, center - half))
    high = 1.0 if passed == n else min(1.0, max(p, center + half))
    return Interval(low, high)
