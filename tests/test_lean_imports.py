"""Importing the lean core in a fresh process must not load any heavy module (the same list
the purity test and the static gate refuse on the main thread: ``MAIN_THREAD_DENYLIST``)."""

from __future__ import annotations

import pytest

from tests.support.purity import denied


@pytest.mark.parametrize(
    "statement",
    [
        "import sloppy.app.controller",
        "import sloppy.app.profiler",
        "import sloppy.warm.engine",
        "import sloppy.warm.planner",
        "import sloppy.warm.import_profile",
        "import sloppy.warm.import_recorder",
        "import sloppy_launcher.sloppy_main",
    ],
)
def test_lean_module_loads_nothing_heavy(statement: str, fresh_modules) -> None:
    loaded = fresh_modules(statement)
    assert denied(loaded) == []


def test_controller_construction_loads_nothing_heavy(fresh_modules) -> None:
    loaded = fresh_modules(
        "from sloppy.app.controller import AppController\n"
        "c = AppController(enable_hooks=True, start_warmup=False)\n"
    )
    assert denied(loaded) == []
