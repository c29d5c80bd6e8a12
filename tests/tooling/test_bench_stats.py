"""The comparison's statistics on seeded synthetic samples: A/A, +10 %, confirmation."""

from __future__ import annotations

import numpy as np
import pytest
from sloppy_build.bench import stats


def lognormal(seed: int, n: int, shift: float = 0.0, sd: float = 0.04) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(np.exp(rng.normal(np.log(1.0 + shift), sd, n)))


@pytest.mark.parametrize(("n", "m", "k"), [(5, 5, 3), (8, 8, 14), (10, 10, 24), (6, 9, 11)])
def test_critical_ranks_match_the_mann_whitney_tables(n: int, m: int, k: int) -> None:
    # Two-sided 5 % critical U from the published tables, plus one: the interval's rank.
    assert stats._critical_rank(n, m, 0.05) == k


def test_too_few_runs_give_an_unbounded_interval_and_no_verdict() -> None:
    c = stats.compare([1.0, 1.01, 0.99], [2.0, 2.1, 1.9], min_effect=0.03)
    assert c.lo == -1.0 and c.hi == float("inf")
    assert c.verdict == "inconclusive"  # it could not rule out a slowdown: never "same"


def test_a_wide_interval_that_neither_shows_nor_rules_out_a_slowdown_is_inconclusive() -> None:
    assert stats.verdict(-0.28, 0.14, 0.03) == "inconclusive"  # the loaded-machine case
    assert stats.verdict(-0.02, 0.029, 0.03) == "same"
    assert stats.verdict(0.031, 0.2, 0.03) == "slower"
    assert stats.verdict(-0.2, -0.031, 0.03) == "faster"
    assert stats.verdict(-0.2, 0.02, 0.03) == "same"  # not shown faster, slowdown ruled out


def test_exact_p_for_fully_separated_samples() -> None:
    base, head = np.arange(5.0), np.arange(5.0) + 10
    assert stats.mann_whitney_p(base, head) == pytest.approx(2 / 252)
    assert stats.mann_whitney_p(base, base + 0.5) > 0.3


def test_identical_builds_are_the_same_nearly_always() -> None:
    verdicts = [
        stats.compare(lognormal(seed, 10), lognormal(seed + 1000, 10), 0.03).verdict
        for seed in range(300)
    ]
    assert verdicts.count("slower") <= 3  # well under 2.5 %: the interval must clear +3 %
    assert verdicts.count("faster") <= 3


def test_ten_percent_slower_is_flagged_with_its_interval() -> None:
    c = stats.compare(lognormal(1, 10), lognormal(2, 10, shift=0.10), 0.03)
    assert c.verdict == "slower"
    assert 0.03 < c.lo < 0.10 < c.hi
    assert c.change == pytest.approx(0.10, abs=0.04)
    assert c.p is not None and c.p < 0.01
    detected = sum(
        stats.compare(lognormal(s, 10), lognormal(s + 500, 10, shift=0.10), 0.03).verdict
        == "slower"
        for s in range(100)
    )
    assert detected >= 80  # one batch of 10; the adaptive runs and batch 2 do better


def test_faster_and_within_min_effect() -> None:
    assert stats.compare(lognormal(3, 10), lognormal(4, 10, shift=-0.2), 0.03).verdict == "faster"
    # A real but small change (+2 %) is not called slower at a 5 % minimum effect.
    small = stats.compare(lognormal(5, 30, sd=0.005), lognormal(6, 30, 0.02, sd=0.005), 0.05)
    assert small.lo > 0 and small.verdict == "same"


def test_clear_means_the_gate_has_its_answer() -> None:
    shown = stats.Comparison(1, 1.2, 0.2, 0.1, 0.3, 0.01, "slower")
    ruled_out = stats.Comparison(1, 1, 0.0, -0.02, 0.02, 0.9, "same")
    open_question = stats.Comparison(1, 1.05, 0.05, -0.01, 0.11, 0.2, "same")
    assert stats.clear(shown, 0.03) and stats.clear(ruled_out, 0.03)
    assert not stats.clear(open_question, 0.03)


def test_confirmation_needs_a_higher_head_and_an_estimate_past_the_effect() -> None:
    assert stats.confirms(stats.Comparison(1, 1.1, 0.1, 0.02, 0.2, 0.01, "same"), 0.03)
    assert not stats.confirms(stats.Comparison(1, 1.1, 0.1, -0.01, 0.2, 0.1, "same"), 0.03)
    assert not stats.confirms(stats.Comparison(1, 1.02, 0.02, 0.01, 0.03, 0.04, "same"), 0.03)


def test_exact_verdicts_use_the_tolerance() -> None:
    assert stats.exact_verdict(174, 174, 0.0) == "same"
    assert stats.exact_verdict(174, 175, 0.0) == "slower"
    assert stats.exact_verdict(174, 170, 0.0) == "faster"
    assert stats.exact_verdict(1000.0, 1005.0, 0.01) == "same"
    assert stats.exact_verdict(1000.0, 1020.0, 0.01) == "slower"
    assert stats.exact_verdict(0, 3, 0.0) == "slower"
