"""The GUI's pieces that need no window: status bar, warm-done toast, the command table."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from sloppy.app.runtime import RuntimeOptions
from sloppy.providers.table import PROVIDERS
from sloppy.ui import theme
from sloppy.ui.gui_2 import SloppyGui
from sloppy.ui.status_bar import StatusBar, status_bar
from sloppy.ui.toasts import warm_done_toast
from sloppy.warm import warmlist
from sloppy.warm.engine import WarmStatus
from tests.support import ROOT


@pytest.fixture
def gui() -> Iterator[SloppyGui]:
    """The window object without a window (runner params are plain data until run)."""
    g = SloppyGui(RuntimeOptions(mode="gui"))
    yield g
    g.runtime.shutdown()


def status(**kw: Any) -> WarmStatus:
    base = WarmStatus(pending=[], in_flight=[], completed=[], failed=[], order=[], done=True)
    return cast(WarmStatus, {**base, **kw})


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
    env = {warmlist.EXTRA_ENV: " boom , other,,"}
    assert warmlist.extra_from_env(env) == ("boom", "other")
    assert warmlist.extra_from_env({}) == ()
    modules = warmlist.warm_modules(hooks=False, extra=("boom", "numpy"))
    assert modules[-1] == "boom" and modules.count("numpy") == 1


def test_menus_and_palette_read_one_command_table(gui: SloppyGui) -> None:
    table = gui.command_table
    ids = [c.id for c in table]
    assert len(ids) == len(set(ids))
    assert [c.label or c.title for c in table if c.menu == "File"] == [
        "New discussion",
        "Clear discussion",
        "Save discussion",
        "Quit",
    ]
    assert [c.label for c in table if c.menu == "Theme"] == list(theme.LABELS.values())
    palette = {c.id for c in gui.palette_commands()}
    # Every menu command is in the palette too, except the palette's own toggle.
    assert {c.id for c in table if c.menu} - palette == {"palette"}
    assert {f"provider.{p}" for p in PROVIDERS} <= palette
    checks = {c.id: c.checked() for c in table if c.checked is not None}
    themes = {f"theme.{n}": n == gui.theme.name for n in theme.LABELS}
    assert checks == {**themes, "view.conversations": gui.settings.side_panel}
    next(c for c in gui.palette_commands() if c.id == "quit").action()
    assert gui.runtime.stop_requested.is_set()


def sloppy_imports(module_file: Path) -> set[str]:
    """Every ``sloppy.*`` module a file imports anywhere (top level, functions, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module_file.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sloppy.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sloppy":
                found |= {f"sloppy.{a.name}" for a in node.names}
            elif node.module.startswith("sloppy."):
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_the_window_is_in_no_import_cycle() -> None:
    """The panels see the window through ``PanelHost``: nothing imports gui_2 back."""
    src = ROOT / "src" / "sloppy"
    graph = {
        ".".join(("sloppy", *p.relative_to(src).with_suffix("").parts)): sloppy_imports(p)
        for p in src.rglob("*.py")
    }
    reaches_gui = {m for m, deps in graph.items() if "sloppy.ui.gui_2" in deps}
    assert reaches_gui == set()
    assert "sloppy.ui.panels" in graph["sloppy.ui.gui_2"]


def test_keys_then_the_configured_sdk_warm_first_without_a_profile() -> None:
    from sloppy.store import settings

    settings.save(settings.Settings(provider="gemini"))
    g = SloppyGui(RuntimeOptions(mode="gui"))
    try:
        g.controller._plan()  # what the lane does first; no profile recorded yet
        assert g.controller.warmup_status()["order"][:2] == [
            "sloppy.store.keychain",
            "google.genai",
        ]
    finally:
        g.runtime.shutdown()
