"""Controllers that have warmed a set of modules: what in-process tests of warmed code need.

Code that reaches a heavy module through ``_require_warmed`` needs an engine that warmed it;
make one with ``warmed(...)`` in a home of its own (the ``module_home`` fixture) and activate
its engine for each test (the ``sdks`` fixture does both for the provider SDKs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from sloppy_testkit.provider_stub import SDK_MODULES

from sloppy.app.controller import AppController

#: The provider SDKs and the keychain module: what the provider code asks to be warm.
PROVIDER_MODULES = (*SDK_MODULES, "sloppy.store.keychain")
#: What the hook server needs warm: FastAPI, the key header scheme, uvicorn and its h11 protocol.
HOOK_MODULES = ("fastapi", "fastapi.security.api_key", "uvicorn", "uvicorn.protocols.http.h11_impl")


def warmed(modules: Sequence[str], *, timeout: float = 120) -> AppController:
    """A controller that has warmed ``modules``, every one of them; shut it down after."""
    c = AppController(warm_modules=list(modules))
    assert c.wait_for_warmup(timeout)
    assert c.warmup_status()["failed"] == []
    return c


@contextlib.contextmanager
def warm_controller(*extra: str) -> Iterator[AppController]:
    """A controller with ``HOOK_MODULES`` and ``extra`` warm, shut down afterwards."""
    c = warmed([*HOOK_MODULES, *extra])
    try:
        yield c
    finally:
        c.shutdown()
