"""Headless mode: the controller, warmup and (with ``--enable-test-hooks``) the hook server.

Runs until SIGINT/SIGTERM (or warm, with ``--exit-when-warm``) and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from typing import Any

from sloppy import log_setup, startup_report
from sloppy.app_controller import AppController
from sloppy.chat import ChatSession
from sloppy.startup_profiler import PROFILER

log = logging.getLogger(__name__)


class ReportWriter:
    """Builds and writes the startup report for either mode; remembers warm-done time."""

    def __init__(self, controller: AppController, *, mode: str, path: str | None) -> None:
        self.controller, self.mode, self.path = controller, mode, path
        self.warm_done_epoch: float | None = None
        self.first_frame_epoch: float | None = None
        self.frame_times_ms: list[float] = []

    def mark_warm(self) -> None:
        self.warm_done_epoch = time.time()
        self.write()

    def build(self) -> dict[str, Any]:
        return startup_report.build(
            self.controller,
            mode=self.mode,
            first_frame_epoch=self.first_frame_epoch,
            frame_times_ms=self.frame_times_ms,
            warm_done_epoch=self.warm_done_epoch,
        )

    def write(self) -> None:
        if not self.path:
            return
        try:
            startup_report.write(self.path, self.build())
        except OSError as exc:
            log.warning("cannot write the startup report to %s: %s", self.path, exc)


def start_hooks(
    controller: AppController,
    chat: ChatSession,
    args: argparse.Namespace,
    report: ReportWriter,
    *,
    gui_state: Any = None,
) -> Any:
    """Start the hook server on the pool (it waits for fastapi/uvicorn to be warm first)."""
    from sloppy.api_hooks import HookServer

    server = HookServer(
        controller,
        chat,
        host=args.web_host,
        port=args.hook_port,
        headless=args.headless,
        report=report.build,
        gui_state=gui_state,
    )

    def start() -> None:
        with PROFILER.phase("hooks.start"):
            try:
                server.start()
            except Exception as exc:
                log.error("hook server failed to start: %s", exc)

    controller.submit_io(start)
    return server


def run(args: argparse.Namespace) -> int:
    """Run headless until a signal (or warm, with ``--exit-when-warm``); returns 0."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with PROFILER.phase("headless.controller"):
        controller = AppController(enable_hooks=args.enable_test_hooks)
    controller.submit_io(log_setup.attach_file)
    controller.submit_io(log_setup.prune_logs)
    with PROFILER.phase("headless.session"):
        chat = ChatSession()
        report = ReportWriter(controller, mode="headless", path=args.startup_report)
    server = start_hooks(controller, chat, args, report) if args.enable_test_hooks else None

    def on_warm() -> None:
        report.mark_warm()
        if args.exit_when_warm:
            stop.set()

    controller.on_warmup_complete(on_warm)
    while not stop.wait(0.25):
        pass
    if server is not None:
        server.stop()
    controller.shutdown()
    report.write()
    return 0
