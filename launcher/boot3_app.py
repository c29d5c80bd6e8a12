"""Stage 3: hand over to the app: the lean GUI skeleton, or the headless controller."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time

from sloppy import log_setup
from sloppy.startup_profiler import PROFILER

EXIT_GRACE_S = 1.5


def run(args: argparse.Namespace) -> int:
    """Run the GUI or headless app until it exits; returns the exit code."""
    with PROFILER.phase("boot.logging"):
        log_setup.configure()
    if args.headless:
        from sloppy import headless

        code = headless.run(args)
    else:
        from sloppy import gui_2

        code = gui_2.run(args)
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
