"""The GUI's pure pieces (no window): the status bar and the warm-done toast."""

from __future__ import annotations

from sloppy import warm_list
from sloppy.gui_2 import StatusBar, status_bar, warm_done_toast


def status(**kw) -> dict:
    base: dict = {"pending": [], "in_flight": [], "completed": [], "failed": [], "order": []}
    return {**base, "done": True, **kw}


def test_status_bar_while_warming_then_ready_or_failed() -> None:
    warming = status(
        done=False, order=["a", "numpy", "c"], completed=["a"], in_flight=["numpy"], pending=["c"]
    )
    bar = status_bar(warming, 1.25, "anthropic", "claude-x")
    assert bar == StatusBar(
        "Warming up... (1/3)",
        "",
        1 / 3,
        "~1.2 s left  loading numpy (charts)",
        "Anthropic: claude-x",
    )
    assert status_bar(status(completed=["a"]), None, "openai", "m").text == "All imports ready"
    assert status_bar(status(completed=["a"]), None, "openai", "m").dot == "ok"
    failed = status(failed=[{"module": "x", "error": "boom"}, {"module": "y", "error": "b"}])
    assert status_bar(failed, None, "gemini", "g") == StatusBar(
        "Imports: 2 failed", "warn", provider="Gemini: g"
    )


def test_warm_done_toast() -> None:
    assert warm_done_toast(0, 8) == ("All providers ready (8 modules)", "ok")
    assert warm_done_toast(1, 7) == ("Warmup finished with 1 failure - see Diagnostics", "warn")
    assert warm_done_toast(2, 6)[0].startswith("Warmup finished with 2 failures")


def test_extra_warm_modules_from_the_environment() -> None:
    env = {warm_list.EXTRA_ENV: " boom , other,,"}
    assert warm_list.extra_from_env(env) == ("boom", "other")
    assert warm_list.extra_from_env({}) == ()
    modules = warm_list.warm_modules(hooks=False, extra=("boom", "numpy"))
    assert modules[-1] == "boom" and modules.count("numpy") == 1
