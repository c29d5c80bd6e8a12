"""Order the warm list from recorded runs: what was needed first, then what is cheapest.

Instead of a hand-tuned import order, call ``plan(modules, runs)``. Without usable runs the
declared order stands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _median(values: list[float]) -> float:
    # statistics.median, without importing statistics (fractions, decimal: 2.5 ms at start-up).
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _per_module(runs: Sequence[Mapping[str, Any]], field: str) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for run in runs:
        table = run.get(field)
        if not isinstance(table, Mapping):
            continue
        for module, value in table.items():
            if isinstance(value, int | float) and value >= 0:
                values.setdefault(module, []).append(float(value))
    return values


def recorded_costs(runs: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Median recorded warm time (seconds) of each module across ``runs``."""
    return {m: _median(v) for m, v in _per_module(runs, "warm").items()}


def plan(
    modules: Sequence[str], runs: Sequence[Mapping[str, Any]], first: Sequence[str] = ()
) -> list[str]:
    """The warm order: demanded modules by earliest median demand, then ``first`` (what the
    settings say will be needed: the configured provider's SDK, known before any run was
    recorded), then the rest by median cost.

    Modules with no record keep their declared order, after the rest.
    """
    demands = {m: _median(v) for m, v in _per_module(runs, "demands").items()}
    costs = recorded_costs(runs)
    declared = {m: i for i, m in enumerate(modules)}
    preferred = {m: i for i, m in enumerate(first)}

    def rank(module: str) -> tuple[int, float, int]:
        if module in demands:
            return (0, demands[module], declared[module])
        if module in preferred:
            return (1, preferred[module], declared[module])
        if module in costs:
            return (2, costs[module], declared[module])
        return (3, 0.0, declared[module])

    return sorted(dict.fromkeys(modules), key=rank)
