"""Stage 0: SIGINT/SIGTERM become a stop request, from the launcher's first line.

Instead of the runtime calling ``signal.signal`` once it is built (a signal before that raised
``KeyboardInterrupt`` in the middle of an import), the launcher calls ``install()`` before
importing anything else and hands ``REQUESTED`` to the ``Runtime`` as its stop request.
"""

from __future__ import annotations

import signal
import threading

REQUESTED = threading.Event()


def install() -> None:
    """Turn SIGINT and SIGTERM into ``REQUESTED.set()`` (main thread only).

    A signal the parent set to be ignored (``nohup``, a shell's background job) stays ignored.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _on_signal)


def _on_signal(_signum: int, _frame: object) -> None:
    REQUESTED.set()


def uninstall() -> None:
    """Back to Python's defaults (tooling commands: Ctrl+C interrupts them as usual)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
