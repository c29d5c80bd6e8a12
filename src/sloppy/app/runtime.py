"""The runtime: one assembly of a run, GUI or headless.

Instead of each shell wiring its own pieces, ``Runtime`` builds the controller (here and nowhere
else), the chat session and the report from ``RuntimeOptions``, starts the hook server and the
log jobs, and shuts it all down. ``ui.gui_2`` and ``app.headless`` are shells around it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from sloppy.app.controller import AppController
from sloppy.app.profiler import PROFILER, StartupProfiler
from sloppy.app.report import ReportWriter
from sloppy.hooks import DEFAULT_HOST, DEFAULT_PORT
from sloppy.providers.chat import ChatSession
from sloppy.providers.table import PROVIDER_BY_ID, PROVIDERS
from sloppy.store import logs, settings, trash
from sloppy.warm import warmlist
from sloppy.warm.import_recorder import Finders

if TYPE_CHECKING:
    import argparse

    from sloppy.hooks.server import HookServer

log = logging.getLogger(__name__)

#: How long the hook server gets to close once forced (its thread is a daemon: never longer).
HOOKS_STOP_S = 0.2
#: How long quitting waits for the discussion's lock before leaving its saving to its holder.
SAVE_LOCK_S = 0.2


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeOptions:
    """How one run is configured; the launcher builds it from argv and the environment."""

    mode: Literal["gui", "headless"]
    hooks: bool = False
    hook_host: str = DEFAULT_HOST
    hook_port: int = DEFAULT_PORT
    startup_report: str | None = None
    exit_when_warm: bool = False
    #: Extra modules to warm (``SLOPPY_WARM_EXTRA``: tests force a warm failure with it).
    extra_warm: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str]) -> RuntimeOptions:
        """From the launcher's parsed flags (``boot1_argv``) and ``environ``."""
        return cls(
            mode="headless" if args.headless else "gui",
            hooks=args.enable_test_hooks,
            hook_host=args.web_host,
            hook_port=args.hook_port,
            startup_report=args.startup_report,
            exit_when_warm=args.exit_when_warm,
            extra_warm=warmlist.extra_from_env(environ),
        )


class Runtime:
    """Controller, chat, report, hook server, log jobs, signals and shutdown of one run.

    ``__init__`` builds and never waits; ``start`` launches the background work (headless:
    at once; GUI: after the first frame); ``stop_requested`` is set by SIGINT/SIGTERM, by
    ``request_stop`` and, with ``exit_when_warm``, once warm; ``shutdown`` ends the run.
    """

    def __init__(
        self,
        options: RuntimeOptions,
        *,
        profiler: StartupProfiler | None = None,
        finders: Finders | None = None,
        stop_requested: threading.Event | None = None,
        lane_nice: int = 0,
        lane_switch_interval: float | None = None,
        pace: Callable[[], None] | None = None,
        first_warm: Sequence[str] = (),
    ) -> None:
        self.options = options
        self.profiler = profiler or PROFILER
        # The launcher's event when it caught the signals from its first line (boot0).
        self.stop_requested = stop_requested or threading.Event()
        self.hooks: HookServer | None = None
        with self.profiler.phase(f"{options.mode}.controller"):
            self.controller = AppController(
                enable_hooks=options.hooks,
                extra_warm=options.extra_warm,
                profiler=self.profiler,
                # Headless has no frame to draw first: warm from the start.
                start_warmup=options.mode == "headless",
                lane_nice=lane_nice,
                lane_switch_interval=lane_switch_interval,
                pace=pace,
                finders=finders,
                first_warm=first_warm,
            )
        with self.profiler.phase(f"{options.mode}.session"):
            self.chat = ChatSession()
            self.report = ReportWriter(
                self.controller, mode=options.mode, path=options.startup_report
            )

    def request_stop(self) -> None:
        self.stop_requested.set()

    def start(self, *, gui_state: Callable[[], dict[str, Any]] | None = None) -> None:
        """Start warmup, the hook server (``--enable-test-hooks``) and the log jobs; no waits.

        Headless first continues the GUI's discussion (``settings.json`` names it), so
        ``/api/send`` adds to it instead of replacing it; the GUI restores after its first frame.
        """
        provider = self.chat.settings.provider
        if self.options.mode == "headless":
            with self.profiler.phase("headless.restore"):
                saved = settings.load()
                self.chat.restore(saved.discussion or "default")
                self.chat.set_stream_limits(saved.stream_idle_s, saved.stream_total_s)
            provider = saved.provider if saved.provider in PROVIDERS else provider
        self.controller.on_warmup_complete(self._on_warm)
        self.controller.start_warmup()
        # Saved API keys from the keychain (the GUI asks earlier; asking again is a no-op).
        self.chat.keys.start_loading(self.controller.submit_io)
        self._watch_chat_ready(PROVIDER_BY_ID[provider].sdk)
        if self.options.hooks:
            # Imported here: the hook server is not part of the window's first frame.
            from sloppy.hooks.server import HookServer

            self.hooks = HookServer(
                self.controller,
                self.chat,
                host=self.options.hook_host,
                port=self.options.hook_port,
                headless=self.options.mode == "headless",
                report=self.report.build,
                gui_state=gui_state,
            )
            self.hooks.start_in_background()
        attached = self.controller.spawn_io(logs.attach_file)
        self.controller.spawn_io(logs.prune_logs)
        self.controller.spawn_io(trash.prune_after, attached)

    def _watch_chat_ready(self, sdk: str) -> None:
        """Note in the report when ``sdk`` is warm and the saved keys are read (a send to the
        configured provider would not wait), from whichever of the two comes last."""
        warmup = self.controller.warmup

        def check(_name: str = "") -> None:
            if warmup.is_ready(sdk) and self.chat.keys.loaded:
                self.report.mark_chat_ready()

        warmup.on_progress.append(check)

        def after_keys() -> None:
            self.chat.keys.wait_loaded()
            check()

        self.controller.spawn_io(after_keys)

    def _on_warm(self) -> None:
        self.report.mark_warm()
        if self.options.exit_when_warm:
            self.stop_requested.set()

    def wait(self, poll_s: float = 0.25) -> None:
        """Block until a stop is requested (polling, so signal handlers run promptly)."""
        while not self.stop_requested.wait(poll_s):
            pass

    def shutdown(self) -> None:
        """End the run within about a second: save what the user has, then stop the rest.

        A reply being streamed is cancelled first, so its job saves the partial reply within
        the controller's grace; the hook server stops taking requests meanwhile. Then the
        discussions are saved once more (the open one, and each with a reply on its way), the
        hook server is forced down and the report written.
        """
        with self.profiler.phase("quit"):
            with self.profiler.phase("quit.cancel"):
                self.chat.stop_all()
                if self.hooks is not None:
                    self.hooks.begin_stop()
            self.controller.shutdown()
            with self.profiler.phase("quit.save"):
                self._save_discussion()
            if self.hooks is not None:
                with self.profiler.phase("quit.hooks"):
                    self.hooks.stop(HOOKS_STOP_S)
        self.report.write()

    def _save_discussion(self) -> None:
        """Save the open discussion and those being answered, unless a job holds the lock past
        ``SAVE_LOCK_S`` (it saves itself)."""
        if not self.chat.lock.acquire(timeout=SAVE_LOCK_S):
            log.warning("quitting while the discussion is locked: not saved again")
            return
        try:
            self.chat.save_all()
        finally:
            self.chat.lock.release()
