"""Headless mode: the runtime without a window (controller, warmup, hook server).

Runs until SIGINT/SIGTERM (or warm, with ``--exit-when-warm``) and exits 0.
"""

from __future__ import annotations

from sloppy.app_controller import Runtime, RuntimeOptions
from sloppy.import_recorder import Finders


def run(options: RuntimeOptions, finders: Finders) -> int:
    """Run headless until a signal (or warm, with ``--exit-when-warm``); returns 0."""
    runtime = Runtime(options, finders=finders, handle_signals=True)
    runtime.start()
    try:
        runtime.wait()
    finally:
        runtime.shutdown()
    return 0
