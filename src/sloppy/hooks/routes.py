"""The hook API's routes: a FastAPI app over the run's controller and chat session.

Instead of importing fastapi at the top (a quarter second on the first frame), ``build_app``
reaches it through ``_require_warmed``; the hook server builds it once fastapi is warm.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoint annotations at
# definition time, and they name objects local to ``build_app``.

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from sloppy import __version__
from sloppy.hooks import DEFAULT_HOST
from sloppy.hooks.guard import Guard
from sloppy.providers.chat import Busy, Moved
from sloppy.providers.client import ProviderError
from sloppy.providers.table import HOOK_PROVIDERS
from sloppy.store import aside
from sloppy.warm.engine import WarmStatus, Warmup, WarmupError, _require_warmed

if TYPE_CHECKING:
    from sloppy.providers.chat import ChatSession

MAX_WAIT_S = 300.0


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
    def submit_stream(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]: ...


def build_app(
    controller: Controller,
    chat: "ChatSession",
    key: str,
    *,
    headless: bool,
    report: Any = None,
    gui_state: Any = None,
    openapi_url: str | None = None,
    web_host: str = DEFAULT_HOST,
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

    @app.get("/api/discussions")
    async def list_discussions(
        q: Annotated[str, Query(max_length=1000)] = "",
    ) -> dict[str, Any]:
        """Every discussion, newest activity first (with ``q``: titles or text containing it)."""
        found = await asyncio.wrap_future(controller.submit_io(chat.conversations, q))
        return {
            "discussions": [
                {"name": s.name, "title": s.title, "updated_at": s.updated_at, "messages": s.count}
                for s in found
            ],
            "current": chat.current_name,
        }

    def refused(provider: str, message: str | None, code: int) -> Any:
        body = {"provider": provider, "status": None, "message": message}
        return fastapi.responses.JSONResponse({"error": body}, status_code=code)

    @app.post("/api/send")
    async def send(
        provider: Annotated[ProviderId, Body()],
        model: Annotated[str, Body(min_length=1, max_length=200)],
        prompt: Annotated[str, Body(max_length=200_000)],
        discussion: Annotated[str | None, Body(min_length=1, max_length=200)] = None,
    ) -> Any:
        if discussion is not None and discussion in chat.streaming_names():
            # Refused at once, before the open: the window stays on what it shows.
            return refused(provider, f"a reply into {discussion!r} is on its way", 409)
        if discussion is not None:
            # Opened first (the window shows it too); an unknown name is a 404, nothing sent.
            problem = await asyncio.wrap_future(controller.submit_io(chat.open, discussion))
            if chat.current_name != discussion:
                return refused(provider, problem, 404)
        # On the stream lane: a reply that streams for long never holds up the pool's jobs.
        future = controller.submit_stream(
            chat.send, prompt, provider=provider, model=model, expect=discussion
        )
        try:
            reply = await asyncio.wrap_future(future)
        except (Busy, Moved) as exc:
            # A reply into it is on its way (one at a time), or another was opened meanwhile.
            return refused(provider, str(exc), 409)
        except ProviderError as exc:
            code = 400 if exc.status is None and exc.message.startswith("no ") else 502
            return fastapi.responses.JSONResponse({"error": exc.to_json()}, status_code=code)
        except WarmupError as exc:
            return refused(provider, str(exc), 503)
        return {"text": reply.text}

    return Guard(
        app,
        key,
        web_host=web_host,
        too_large=fastapi.HTTPException,
        open_paths=frozenset({openapi_url} if openapi_url else ()),
    )
