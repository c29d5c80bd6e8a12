"""Stage 3: hand over to the app: the lean GUI skeleton, or the headless controller."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import TYPE_CHECKING

from sloppy.app.profiler import PROFILER
from sloppy.store import logs
from sloppy.warm import import_recorder

if TYPE_CHECKING:
    import argparse

EXIT_GRACE_S = 1.5


def run(args: argparse.Namespace, finders: import_recorder.Finders, stop: threading.Event) -> int:
    """Run the GUI or headless app until it exits (or ``stop`` is set); returns the exit code."""
    with PROFILER.phase("boot.logging"):
        logs.configure()
    with PROFILER.phase("boot.import_app"):
        if args.headless:
            from sloppy.app.headless import run as run_app
        else:
            from sloppy.ui import imgui_lean

            imgui_lean.install()  # the native module without the package facade's imports
            from sloppy.ui.gui_2 import run as run_app
        # Loaded with the app above (after boot2's finders, so the warm cache serves it).
        from sloppy.app.runtime import RuntimeOptions

    code = run_app(RuntimeOptions.from_args(args, os.environ), finders, stop)
    return exit_promptly(code)


def exit_promptly(code: int) -> int:
    """Give worker threads a short grace, then leave even if an import is still running.

    Interpreter exit joins pool threads, and a warm import cannot be interrupted inside C code;
    everything worth keeping (profile, report, discussions) is already written by now.
    """
    deadline = time.monotonic() + EXIT_GRACE_S
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return code
