from __future__ import annotations

from sloppy.app.controller import AppController
from sloppy.warm import import_profile
from sloppy.warm.planner import plan, recorded_costs

MODS = ["google.genai", "anthropic", "openai", "numpy"]


def test_without_runs_the_declared_order_stands() -> None:
    assert plan(MODS, []) == MODS


def test_demanded_first_by_earliest_then_cheapest() -> None:
    runs = [
        {
            "demands": {"openai": 2.0, "anthropic": 0.5},
            "warm": {"numpy": 0.05, "google.genai": 0.6},
        },
        {"demands": {"openai": 1.8}, "warm": {"numpy": 0.07, "google.genai": 0.5}},
    ]
    assert plan(MODS, runs) == ["anthropic", "openai", "numpy", "google.genai"]


def test_unrecorded_modules_go_last_in_declared_order() -> None:
    runs = [{"warm": {"numpy": 0.1}}]
    assert plan(MODS, runs) == ["numpy", "google.genai", "anthropic", "openai"]


def test_garbage_values_are_ignored() -> None:
    runs = [{"warm": {"numpy": "fast", "openai": -1}, "demands": "nope"}, {}]
    assert plan(MODS, runs) == MODS
    assert recorded_costs(runs) == {}


def test_a_recorded_profile_changes_the_controller_order() -> None:
    store = import_profile.ProfileStore()
    store.save_run(
        {
            "id": "old",
            "key": import_profile.run_key(),
            "warm": {"json": 0.3, "csv": 0.01, "wave": 0.02},
            "demands": {"wave": 0.4},
        }
    )
    c = AppController(warm_modules=["json", "csv", "wave"], start_warmup=False)
    assert c.warmup_status()["order"] == ["json", "csv", "wave"]
    c.start_warmup()
    assert c.wait_for_warmup(10)
    c.shutdown()
    assert c.warmup_status()["order"] == ["wave", "csv", "json"]
    assert c.warmup_status()["completed"] == ["wave", "csv", "json"]


def test_the_configured_sdk_goes_first_without_runs() -> None:
    assert plan(MODS, [], first=["anthropic"]) == ["anthropic", "google.genai", "openai", "numpy"]


def test_the_configured_sdk_goes_after_demands_before_cheaper_modules() -> None:
    runs = [{"demands": {"numpy": 0.3}, "warm": {"openai": 0.2, "anthropic": 0.9}}]
    assert plan(MODS, runs, first=["anthropic"]) == [
        "numpy",
        "anthropic",
        "openai",
        "google.genai",
    ]


def test_the_controller_plans_first_warm_modules_first() -> None:
    c = AppController(warm_modules=["json", "csv", "wave"], first_warm=["wave"])
    assert c.wait_for_warmup(10)
    assert c.warmup_status()["order"][0] == "wave"
    c.shutdown()
