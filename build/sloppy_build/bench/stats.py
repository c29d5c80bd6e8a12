"""Is HEAD slower? Hodges-Lehmann shift on log times, its Mann-Whitney interval, a minimum effect.

Instead of a t-test on means (pyperf) or a fixed tolerance on a ratio: the interval is
distribution-free (start-up times are skewed and have outliers), exact for the small samples a
comparison can afford, and on log times the shift is a relative change. A verdict is "slower"
only when the whole 95 % interval lies above ``+min_effect``, "same" only when it rules out a
slowdown of ``min_effect``, and "inconclusive" when it does neither (too few runs, too much
noise): never "same" for a slowdown the runs could not exclude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

import numpy as np

Verdict = Literal["slower", "faster", "same", "inconclusive"]
#: Beyond this many runs per side the exact U distribution gives way to the normal one.
EXACT_LIMIT = 60
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Comparison:
    """``change``, ``lo``, ``hi``: relative (0.1 = HEAD 10 % higher)."""

    base: float
    head: float
    change: float
    lo: float
    hi: float
    p: float | None
    verdict: Verdict


@lru_cache(maxsize=256)
def _u_cdf(n: int, m: int) -> tuple[float, ...]:
    """P(U <= u) for u = 0..n*m under the null, exactly (no ties)."""
    # counts[j][u]: arrangements of (i, j) samples with statistic u; built up one i at a time.
    counts = [np.zeros(1) + 1.0 for _ in range(m + 1)]
    for _ in range(1, n + 1):
        new = [np.zeros(1) + 1.0]
        for j in range(1, m + 1):
            shifted = np.concatenate([np.zeros(j), counts[j]])  # the new x above all j ys
            left = new[j - 1]
            size = max(len(shifted), len(left))
            row = np.zeros(size)
            row[: len(shifted)] += shifted
            row[: len(left)] += left
            new.append(row)
        counts = new
    dist = counts[m]
    return tuple(np.cumsum(dist) / dist.sum())


def _critical_rank(n: int, m: int, alpha: float) -> int:
    """Largest k with P(U <= k - 1) <= alpha / 2: the interval is [d_(k), d_(nm+1-k)]."""
    if max(n, m) <= EXACT_LIMIT:
        cdf = _u_cdf(n, m)
        k = 0
        while k < len(cdf) and cdf[k] <= alpha / 2:
            k += 1
        return k
    z = _NORMAL.inv_cdf(1 - alpha / 2)
    return max(0, math.floor(n * m / 2 - z * math.sqrt(n * m * (n + m + 1) / 12)))


def mann_whitney_p(base: np.ndarray, head: np.ndarray) -> float:
    """Two-sided p of the Mann-Whitney U test (exact without ties, normal with them)."""
    n, m = len(head), len(base)
    diff = head[:, None] - base[None, :]
    u = float((diff > 0).sum() + 0.5 * (diff == 0).sum())
    ties = bool((diff == 0).any())
    if max(n, m) <= EXACT_LIMIT and not ties:
        cdf = _u_cdf(n, m)
        lower = cdf[math.floor(u)]
        upper = 1.0 - (cdf[math.ceil(u) - 1] if math.ceil(u) >= 1 else 0.0)
        return min(1.0, 2 * min(lower, upper))
    mean, sd = n * m / 2, math.sqrt(n * m * (n + m + 1) / 12)
    if sd == 0:
        return 1.0
    z = (abs(u - mean) - 0.5) / sd
    return min(1.0, 2 * (1 - _NORMAL.cdf(max(z, 0.0))))


def compare(
    base: list[float], head: list[float], min_effect: float, alpha: float = 0.05
) -> Comparison:
    """HEAD against BASE for one timed metric (positive values; more runs, narrower interval)."""
    b = np.log(np.asarray(base, dtype=float))
    h = np.log(np.asarray(head, dtype=float))
    d = np.sort((h[:, None] - b[None, :]).ravel())
    k = _critical_rank(len(h), len(b), alpha)
    shift = float(np.median(d))
    lo, hi = (float(d[k - 1]), float(d[-k])) if k >= 1 else (-math.inf, math.inf)
    change, lo_r, hi_r = (math.expm1(x) for x in (shift, lo, hi))
    return Comparison(
        base=float(np.median(base)),
        head=float(np.median(head)),
        change=change,
        lo=lo_r,
        hi=hi_r,
        p=float(mann_whitney_p(b, h)),
        verdict=verdict(lo_r, hi_r, min_effect),
    )


def verdict(lo: float, hi: float, min_effect: float) -> Verdict:
    """``slower``: the whole interval above ``+min_effect``; ``faster``: below minus it;
    ``same``: a slowdown of ``min_effect`` ruled out; else ``inconclusive``."""
    if lo > min_effect:
        return "slower"
    if hi < -min_effect:
        return "faster"
    if hi < min_effect:
        return "same"
    return "inconclusive"


def clear(c: Comparison, min_effect: float) -> bool:
    """The gate's question is answered: a regression is shown, or one that large is ruled out."""
    return c.lo > min_effect or c.hi < min_effect


def confirms(c: Comparison, min_effect: float) -> bool:
    """A second, independent batch upholds "slower": HEAD higher (interval above 0), by more
    than the minimum effect in its estimate. Two such batches by chance are rare (about 1 in
    1000 for identical builds); a real regression passes both nearly as often as one."""
    return c.lo > 0 and c.change > min_effect


def exact_verdict(base: float, head: float, tolerance: float) -> Verdict:
    """Counts and sizes: "slower" when HEAD grew by more than ``tolerance`` (relative)."""
    if base == head:
        return "same"
    if base == 0:
        return "slower" if head > 0 else "faster"
    change = head / base - 1
    if change > tolerance:
        return "slower"
    return "faster" if change < -tolerance else "same"
