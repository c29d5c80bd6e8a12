"""Headless mode: the runtime without a window (controller, warmup, hook server).

Runs until SIGINT/SIGTERM (or warm, with ``--exit-when-warm``) and exits 0.
"""

from __future__ import annotations

import threading

from sloppy.app.runtime import Runtime, RuntimeOptions
from sloppy.warm.import_recorder import Finders


def run(options: RuntimeOptions, finders: Finders, stop: threading.Event | None = None) -> int:
    """Run headless until a stop (signal, or warm with ``--exit-when-warm``); returns 0.

    ``stop`` is the launcher's (set by SIGINT/SIGTERM from its first line, ``boot0_signals``).
    """
    runtime = Runtime(options, finders=finders, stop_requested=stop)
    runtime.start()
    try:
        runtime.wait()
    finally:
        runtime.shutdown()
    return 0
