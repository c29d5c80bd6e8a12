"""Shared by the hook tests: a controller with the hook server's modules warm."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sloppy.app.controller import AppController

#: What the hook server needs warm: FastAPI, the key header scheme, uvicorn and its h11 protocol.
HOOK_MODULES = ("fastapi", "fastapi.security.api_key", "uvicorn", "uvicorn.protocols.http.h11_impl")


@contextlib.contextmanager
def warm_controller(*extra: str) -> Iterator[AppController]:
    """An ``AppController`` with ``HOOK_MODULES`` and ``extra`` warm, shut down afterwards."""
    c = AppController(warm_modules=[*HOOK_MODULES, *extra])
    assert c.wait_for_warmup(120)
    yield c
    c.shutdown()
