"""The hook API in process: a TestClient over ``build_app`` and a session that talks to the
provider stub."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sloppy_testkit.provider_stub import PROVIDERS, Stub, base_urls

from sloppy.app.controller import AppController
from sloppy.hooks.routes import build_app
from sloppy.providers.chat import ChatSession
from sloppy.providers.client import AIClient

LOOPBACK = "http://127.0.0.1"


def stub_session(stub: Stub) -> ChatSession:
    """A session with a key for every provider, each pointed at ``stub``, no retries."""
    keys = {p: f"sk-{p}" for p in PROVIDERS}
    return ChatSession(AIClient(max_retries=0, keys=keys, base_urls=base_urls(stub)))


@contextlib.contextmanager
def hook_client(controller: AppController, chat: ChatSession, key: str) -> Iterator[Any]:
    """A TestClient on the headless hook API (``controller``'s engine made the active one)."""
    from fastapi.testclient import TestClient

    from sloppy.warm import engine

    engine.activate(controller.warmup)
    with TestClient(build_app(controller, chat, key, headless=True), base_url=LOOPBACK) as tc:
        yield tc
