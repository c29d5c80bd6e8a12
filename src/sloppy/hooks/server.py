"""The hook server: uvicorn serving the hook API (``hooks.routes``) on loopback, keyed.

Instead of starting with the window, ``HookServer.start`` runs on the pool once fastapi and
uvicorn are warm; the one thread sloppy starts itself is uvicorn's.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from sloppy.hooks import DEFAULT_HOST, DEFAULT_PORT, h11_deadline
from sloppy.hooks.guard import MAX_HEAD_BYTES, is_loopback
from sloppy.hooks.hook_key import resolve_key
from sloppy.hooks.routes import Controller, build_app
from sloppy.warm.engine import _require_warmed

if TYPE_CHECKING:
    from sloppy.providers.chat import ChatSession

log = logging.getLogger(__name__)

#: An idle keep-alive connection is closed after this many seconds.
KEEP_ALIVE_S = 5.0


class HookServer:
    """uvicorn serving ``build_app`` in one background thread (the only thread sloppy starts)."""

    def __init__(
        self,
        controller: Controller,
        chat: ChatSession,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        headless: bool = False,
        report: Any = None,
        gui_state: Any = None,
    ) -> None:
        self.controller, self.chat = controller, chat
        self.gui_state = gui_state
        self.host, self.port = host, port
        self.headless = headless
        self.report = report
        self.url: str | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = False
        self.ready = threading.Event()

    def start(self) -> str:
        """Build the app from the warm modules, bind, serve; returns the URL. Run on the pool."""
        key, key_path = resolve_key()
        app = build_app(
            self.controller,
            self.chat,
            key,
            headless=self.headless,
            report=self.report,
            gui_state=self.gui_state,
            web_host=self.host,
        )
        uvicorn = _require_warmed("uvicorn")
        protocol = h11_deadline.header_timeout_protocol(_require_warmed(h11_deadline.H11_MODULE))
        if not is_loopback(self.host):
            log.warning(
                "hook server listens on %s, not loopback: reachable from the network", self.host
            )
        sock = self._bind()
        config = uvicorn.Config(
            app,
            http=protocol,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=KEEP_ALIVE_S,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        )
        with self._lock:
            if self._stopping:
                sock.close()
                raise _Stopped
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(
                target=self._server.run, kwargs={"sockets": [sock]}, name="hook-server", daemon=True
            )
            self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                raise RuntimeError("hook server did not start within 10 s")
            time.sleep(0.005)
        if self._stopping:
            raise _Stopped
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{self.port}"
        print(f"hooks: listening on {self.url}", flush=True)
        if key_path is not None:
            print(f"hooks: key in {key_path}", flush=True)
        self.ready.set()
        return self.url

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            why = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or exc
            hint = " (choose another with --hook-port, or 0 for any free port)"
            raise OSError(
                exc.errno, f"cannot listen on {self.host} port {self.port}: {why}{hint}"
            ) from None
        self.port = sock.getsockname()[1]
        return sock

    def start_in_background(self) -> None:
        """Start on the controller's pool: ``start`` waits there for fastapi/uvicorn to warm."""

        def start() -> None:
            with self.controller.profiler.phase("hooks.start"):
                try:
                    self.start()
                except Exception as exc:
                    if self._stopping or isinstance(exc, _Stopped):
                        log.info("hook server not started: sloppy is stopping")
                    else:
                        log.error("hook server failed to start: %s", exc)

        self.controller.submit_io(start)

    def begin_stop(self) -> None:
        """Stop taking connections; the requests in flight may still answer (see ``stop``)."""
        with self._lock:
            self._stopping = True
            server = self._server
        if server is not None:
            server.should_exit = True

    def stop(self, timeout: float = 2.0) -> None:
        """Stop now: open connections are dropped, the thread gets ``timeout`` to end.

        uvicorn's graceful shutdown waits for every connection (an ``/api/send`` waiting for
        a reply, a keep-alive client) with no bound; quitting must not.
        """
        self.begin_stop()
        if self._server is not None:
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout)


class _Stopped(Exception):
    """``stop`` came first: a start in progress gives up quietly."""
