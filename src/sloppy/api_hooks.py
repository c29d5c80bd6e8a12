"""The hook API: a FastAPI app on uvicorn, for tests and automation. Loopback and keyed.

Instead of importing fastapi at the top (a quarter second on the first frame), ``build_app``
reaches it through ``_require_warmed``; ``HookServer.start`` runs on the pool once it is warm.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoint annotations at
# definition time, and they name objects local to ``build_app``.

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from sloppy import __version__, paths, storage
from sloppy.ai_client import ProviderError
from sloppy.models import HOOK_PROVIDERS
from sloppy.warmup import WarmupError, _require_warmed

if TYPE_CHECKING:
    from sloppy.app_controller import AppController
    from sloppy.chat import ChatSession

log = logging.getLogger(__name__)

KEY_ENV = "SLOPPY_HOOK_KEY"
KEY_FILE = "hook_key"
DEFAULT_PORT = 8999
MAX_WAIT_S = 300.0


def resolve_key() -> tuple[str, Path | None]:
    """The hook key: ``SLOPPY_HOOK_KEY``, else a 0600 file in the config dir (made if needed)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env, None
    path = paths.config_dir() / KEY_FILE
    with contextlib.suppress(OSError):
        existing = path.read_text(encoding="utf-8").strip()
        if len(existing) >= 16:
            return existing, path
    key = secrets.token_urlsafe(32)
    storage.write_atomic(path, key.encode("utf-8"), mode=0o600)
    return key, path


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_app(
    controller: "AppController",
    chat: "ChatSession",
    key: str,
    *,
    headless: bool,
    report: Any = None,
    gui_state: Any = None,
    openapi_url: str | None = None,
) -> Any:
    """The FastAPI app; every route requires ``X-API-Key``.

    No docs or schema routes are served unless ``openapi_url`` is given (the fuzz tests do).
    """
    fastapi = _require_warmed("fastapi")
    api_key_mod = _require_warmed("fastapi.security.api_key")
    Depends, Query, Body = fastapi.Depends, fastapi.Query, fastapi.Body
    header = api_key_mod.APIKeyHeader(name="X-API-Key", auto_error=False)

    def check_key(given: Annotated[str | None, Depends(header)]) -> None:
        if not given or not secrets.compare_digest(given.encode(), key.encode()):
            raise fastapi.HTTPException(status_code=401, detail="missing or wrong X-API-Key")

    app = fastapi.FastAPI(
        title="sloppy hook API",
        version=__version__,
        dependencies=[Depends(check_key)],
        docs_url=None,
        redoc_url=None,
        openapi_url=openapi_url,
    )

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

    return app


class HookServer:
    """uvicorn serving ``build_app`` in one background thread (the only thread sloppy starts)."""

    def __init__(
        self,
        controller: "AppController",
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
        )
        uvicorn = _require_warmed("uvicorn")
        if not is_loopback(self.host):
            log.warning(
                "hook server listens on %s, not loopback: reachable from the network", self.host
            )
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, lifespan="off"
        )
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
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{self.port}"
        print(f"hooks: listening on {self.url}", flush=True)
        if key_path is not None:
            print(f"hooks: key in {key_path}", flush=True)
        self.ready.set()
        return self.url

    def start_in_background(self) -> None:
        """Start on the controller's pool: ``start`` waits there for fastapi/uvicorn to warm."""

        def start() -> None:
            with self.controller.profiler.phase("hooks.start"):
                try:
                    self.start()
                except Exception as exc:
                    log.error("hook server failed to start: %s", exc)

        self.controller.submit_io(start)

    def stop(self, timeout: float = 2.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
