"""The hook API: a FastAPI app on uvicorn, for tests and automation. Loopback and keyed.

Instead of importing fastapi at the top (a quarter second on the first frame), ``build_app``
reaches it through ``_require_warmed``; ``HookServer.start`` runs on the pool once it is warm.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoint annotations at
# definition time, and they name objects local to ``build_app``.

import asyncio
import contextlib
import errno
import ipaddress
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from sloppy import __version__
from sloppy.hooks.hook_key import KEY_ENV, KEY_FILE, MIN_KEY_LEN, resolve_key
from sloppy.providers.client import ProviderError
from sloppy.providers.table import HOOK_PROVIDERS
from sloppy.store import aside
from sloppy.warm.engine import WarmStatus, Warmup, WarmupError, _require_warmed

if TYPE_CHECKING:
    from sloppy.providers.chat import ChatSession

log = logging.getLogger(__name__)

__all__ = ["KEY_ENV", "KEY_FILE", "MIN_KEY_LEN", "HookServer", "build_app"]
__all__ += ["is_loopback", "resolve_key"]

DEFAULT_PORT = 8999
MAX_WAIT_S = 300.0
#: Request bodies over this are refused with 413 (a 200,000-character prompt, every
#: character JSON-escaped, stays below it).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: A connection must deliver a complete request head within this many seconds.
HEADER_TIMEOUT_S = 10.0
#: An idle keep-alive connection is closed after this many seconds.
KEEP_ALIVE_S = 5.0
#: Names that always reach a loopback listener; anything else is refused (DNS rebinding).
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Phases(Protocol):
    """The run's start-up phases (``app.profiler.StartupProfiler`` is one)."""

    process_start_epoch: float

    def phases(self) -> Any: ...
    def phase(self, name: str) -> AbstractContextManager[Any]: ...


class Controller(Protocol):
    """What the hook API needs of the run (``AppController`` is one): no import of ``app``."""

    @property
    def profiler(self) -> Phases: ...
    @property
    def warmup(self) -> Warmup: ...
    def warmup_status(self) -> WarmStatus: ...
    def is_warmup_done(self) -> bool: ...
    def on_warmup_complete(self, cb: Callable[[], None]) -> None: ...
    def submit_io(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]: ...


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _host_name(header: bytes) -> str:
    """The host of a ``Host`` header without its port (``[::1]:80`` -> ``::1``)."""
    text = header.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


class Guard:
    """Pure ASGI middleware, in front of everything: key, Host and body size, before any read.

    Instead of a FastAPI dependency (which runs after the body is read and parsed), the key is
    checked on the headers alone: an unauthenticated request gets 401 without its body being
    read, whatever that body is. The connection is closed after a refusal.
    """

    def __init__(
        self,
        app: ASGIApp,
        key: str,
        *,
        web_host: str,
        too_large: Any,
        open_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.key = key.encode()
        self.open_paths = open_paths  # the test-only schema route, when served
        self.any_ip = _is_wildcard(web_host)
        self.hosts = LOOPBACK_NAMES | {web_host.strip("[]").lower()}
        self.too_large = too_large  # raised from receive() past the limit: a 413 from FastAPI

    def __getattr__(self, name: str) -> Any:
        """Anything else is the wrapped FastAPI app's (``openapi()``, ``routes``, ...)."""
        if name == "app":  # not set yet (copying, unpickling): never recurse
            raise AttributeError(name)
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-api-key", b"")
        if scope["path"] in self.open_paths and scope["method"] == "GET":
            pass
        elif not given or not secrets.compare_digest(given, self.key):
            await _refuse(send, 401, "missing or wrong X-API-Key")
            return
        host = headers.get(b"host")
        if host is not None and not self._host_ok(_host_name(host)):
            await _refuse(send, 400, "Host header names neither loopback nor --web-host")
            return
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await _refuse(send, 413, f"request body over {MAX_BODY_BYTES} bytes")
            return
        await self.app(scope, self._counting(receive), send)

    def _host_ok(self, host: str) -> bool:
        if host in self.hosts:
            return True
        if not self.any_ip:
            return False
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True

    def _counting(self, receive: Receive) -> Receive:
        """``receive`` that stops a chunked body at ``MAX_BODY_BYTES`` (no Content-Length)."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise self.too_large(status_code=413, detail=f"over {MAX_BODY_BYTES} bytes")
            return message

        return counted


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def build_app(
    controller: Controller,
    chat: "ChatSession",
    key: str,
    *,
    headless: bool,
    report: Any = None,
    gui_state: Any = None,
    openapi_url: str | None = None,
    web_host: str = "127.0.0.1",
) -> Any:
    """The hook API behind ``Guard``: every route requires ``X-API-Key``.

    Requests must name a loopback host or ``web_host`` in ``Host``. No docs or schema routes
    are served unless ``openapi_url`` is given (the fuzz tests do).
    """
    fastapi = _require_warmed("fastapi")
    api_key_mod = _require_warmed("fastapi.security.api_key")
    Depends, Query, Body = fastapi.Depends, fastapi.Query, fastapi.Body
    # The Guard has checked the key already; the scheme stays for the OpenAPI schema.
    header = api_key_mod.APIKeyHeader(name="X-API-Key", auto_error=False)

    def documents_key(_given: Annotated[str | None, Depends(header)]) -> None:
        return None

    app = fastapi.FastAPI(
        title="sloppy hook API",
        version=__version__,
        dependencies=[Depends(documents_key)],
        docs_url=None,
        redoc_url=None,
        openapi_url=openapi_url,
    )

    @app.exception_handler(fastapi.exceptions.RequestValidationError)
    async def invalid(_request: Any, exc: Any) -> Any:
        """422 with ASCII-escaped JSON: the default echoes the input, and a lone surrogate
        (``"\\ud800"`` is valid JSON) cannot be encoded as UTF-8, which made it a 500."""
        body = json.dumps({"detail": exc.errors()}, default=str, ensure_ascii=True)
        return fastapi.responses.Response(body, status_code=422, media_type="application/json")

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        settings = chat.settings
        return {
            "version": __version__,
            "pid": os.getpid(),
            "headless": headless,
            "uptime_s": round(time.time() - controller.profiler.process_start_epoch, 3),
            "provider": settings.provider,
            "model": settings.model,
            "warm_done": controller.is_warmup_done(),
            # Per provider: is a key available, and where from (never the key itself).
            "keys": chat.keys.status(),
            "discussion": chat.discussion.name,
            "set_aside": aside.events(),
        }

    @app.get("/api/warmup_status")
    def warmup_status() -> dict[str, Any]:
        return dict(controller.warmup_status())

    @app.get("/api/warmup_wait")
    async def warmup_wait(
        timeout: Annotated[float, Query(ge=0, le=MAX_WAIT_S)] = 30.0,
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed at shutdown
                loop.call_soon_threadsafe(done.set)

        controller.on_warmup_complete(wake)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout)
        return {**controller.warmup_status(), "timed_out": not controller.is_warmup_done()}

    @app.get("/api/startup_profile")
    def startup_profile() -> dict[str, Any]:
        return {
            "process_start_epoch": controller.profiler.process_start_epoch,
            "phases": controller.profiler.phases(),
            "modules": controller.warmup.records(),
            "report": report() if callable(report) else None,
        }

    if gui_state is not None:

        @app.get("/api/gui/state")
        def gui_state_endpoint() -> dict[str, Any]:
            """Extension: what the window shows (theme, palette, discussion), for GUI tests."""
            return dict(gui_state())

    # The schema's provider enum is the provider table's hook rows.
    ProviderId = Literal[HOOK_PROVIDERS]  # type: ignore[valid-type]

    @app.post("/api/send")
    async def send(
        provider: Annotated[ProviderId, Body()],
        model: Annotated[str, Body(min_length=1, max_length=200)],
        prompt: Annotated[str, Body(max_length=200_000)],
    ) -> Any:
        future = controller.submit_io(chat.send, prompt, provider=provider, model=model)
        try:
            reply = await asyncio.wrap_future(future)
        except ProviderError as exc:
            code = 400 if exc.status is None and exc.message.startswith("no ") else 502
            return fastapi.responses.JSONResponse({"error": exc.to_json()}, status_code=code)
        except WarmupError as exc:
            body = {"provider": provider, "status": None, "message": str(exc)}
            return fastapi.responses.JSONResponse({"error": body}, status_code=503)
        return {"text": reply.text}

    return Guard(
        app,
        key,
        web_host=web_host,
        too_large=fastapi.HTTPException,
        open_paths=frozenset({openapi_url} if openapi_url else ()),
    )


class HookServer:
    """uvicorn serving ``build_app`` in one background thread (the only thread sloppy starts)."""

    def __init__(
        self,
        controller: Controller,
        chat: "ChatSession",
        *,
        host: str = "127.0.0.1",
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
        protocol = _header_timeout_protocol(_require_warmed(H11_MODULE))
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
            h11_max_incomplete_event_size=16 * 1024,
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

    def stop(self, timeout: float = 2.0) -> None:
        with self._lock:
            self._stopping = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)


class _Stopped(Exception):
    """``stop`` came first: a start in progress gives up quietly."""


H11_MODULE = "uvicorn.protocols.http.h11_impl"


def _header_timeout_protocol(impl: Any) -> type:
    """uvicorn's h11 protocol with a deadline for each request head.

    uvicorn times out idle keep-alive connections but not a client that sends part of a
    request head and waits: without this, every such connection is held forever.
    """
    h11 = impl.h11

    class HeaderTimeoutProtocol(impl.H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._head_deadline = self.loop.call_later(HEADER_TIMEOUT_S, self._head_timeout)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._head_deadline.cancel()
            self._head_deadline = self.loop.call_later(HEADER_TIMEOUT_S, self._head_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_deadline.cancel()
            super().connection_lost(exc)

        def _head_timeout(self) -> None:
            waiting_for_head = self.conn.their_state is h11.IDLE and (
                self.cycle is None or self.cycle.response_complete
            )
            if waiting_for_head and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol
