"""Headless mode: the controller, warmup and (with ``--enable-test-hooks``) the hook server.

Runs until SIGINT/SIGTERM (or warm, with ``--exit-when-warm``) and exits 0.
"""

from __future__ import annotations

import argparse
import signal
import threading

from sloppy import log_setup
from sloppy.api_hooks import HookServer
from sloppy.app_controller import AppController
from sloppy.chat import ChatSession
from sloppy.startup_profiler import PROFILER
from sloppy.startup_report import ReportWriter


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
        chat.keys.start_loading(controller.submit_io)
        report = ReportWriter(controller, mode="headless", path=args.startup_report)
    server = None
    if args.enable_test_hooks:
        server = HookServer(
            controller,
            chat,
            host=args.web_host,
            port=args.hook_port,
            headless=True,
            report=report.build,
        )
        server.start_in_background()

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
