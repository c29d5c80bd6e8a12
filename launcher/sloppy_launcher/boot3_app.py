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

#: Idle pool threads end within milliseconds of the pool's shutdown; a busy one will not.
EXIT_GRACE_S = 0.1
#: Exit code when no window can be opened (as for bad arguments).
NO_WINDOW = 2
#: What to do instead, the end of each no-window line.
NO_WINDOW_HINT = (
    "run `sloppy --headless` for no window, or give it a virtual display with Xvfb "
    "(`xvfb-run -a sloppy`)"
)


def missing_display() -> str | None:
    """Why no window can open here before trying (Linux: no display named), or None."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return "no display: neither DISPLAY nor WAYLAND_DISPLAY is set"
    return None


def window_failure(error: BaseException) -> str | None:
    """What stopped the window, from hello_imgui's failed assertion; None if it was not that.

    GLFW reports the detail on stderr just before (``Glfw Error ...``); this names the part
    that is missing.
    """
    text = str(error)
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or "(none)"
    if "glfwInitSuccess" in text:
        return f"cannot open a window: no display server answers at {display}"
    if "Failed to create" in text:
        return (
            f"cannot open a window: no OpenGL context on display {display} "
            "(the display lacks GLX, or no OpenGL driver is installed: Mesa's libgl1-mesa-dri)"
        )
    return None


def no_window(reason: str) -> int:
    """Say in one line why there is no window and what to do; the exit code."""
    print(f"sloppy: {reason}; {NO_WINDOW_HINT}", file=sys.stderr)
    return NO_WINDOW


def run(args: argparse.Namespace, finders: import_recorder.Finders, stop: threading.Event) -> int:
    """Run the GUI or headless app until it exits (or ``stop`` is set); returns the exit code."""
    if not args.headless and (reason := missing_display()):
        return no_window(reason)
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

    try:
        code = run_app(RuntimeOptions.from_args(args, os.environ), finders, stop)
    except RuntimeError as exc:  # hello_imgui turns a failed GLFW or OpenGL start into this
        reason = None if args.headless else window_failure(exc)
        if reason is None:
            raise
        code = no_window(reason)
    return exit_promptly(code)


def exit_promptly(code: int) -> int:
    """Give worker threads a short grace, then leave even if an import is still running.

    Interpreter exit joins every pool thread with no bound (``concurrent.futures`` registers
    that join at exit), and a warm import or a blocking SDK call cannot be interrupted inside
    C code; everything worth keeping (discussion, settings, profile, report) is written by
    now, so a thread still busy is left behind with ``os._exit`` after the logs are flushed.
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
