"""Model lists through the real SDKs against the stub: listing, the cache and its age,
and failures that say why (401, no server, timeout)."""

from __future__ import annotations

import json
import socket
import time

import pytest
from sloppy_testkit.provider_stub import PROVIDERS, Fault, Stub, base_urls

from sloppy.providers import model_catalog
from sloppy.providers.client import AIClient
from sloppy.providers.model_catalog import ModelCatalog

pytestmark = pytest.mark.usefixtures("sdks")

KEYS = {p: f"k-{p}" for p in PROVIDERS}


def catalog(stub: Stub, **kw) -> ModelCatalog:
    return ModelCatalog(AIClient(keys=KEYS, base_urls=base_urls(stub)), **kw)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_lists_the_accounts_models(stub: Stub, provider: str) -> None:
    listing = catalog(stub).refresh(provider)
    assert listing.phase == "ok" and listing.tested
    assert list(listing.models) == sorted(stub.models[provider])  # gemini: chat models only
    assert listing.describe() == f"Connected: {len(stub.models[provider])} models"
    get = [r for r in stub.requests if r["provider"] == provider]
    assert get and get[-1]["body"] is None  # a GET: nothing was generated


def test_cached_with_a_time_stamp_and_reused(stub: Stub) -> None:
    before = time.time()
    catalog(stub).refresh("openai")
    doc = json.loads(model_catalog.cache_path().read_text())
    entry = doc["lists"][f"openai|{base_urls(stub)['openai']}"]
    assert entry["models"] == sorted(stub.models["openai"])
    assert before <= entry["fetched_epoch"] <= time.time()
    fresh = catalog(stub)
    n = len(stub.requests)
    fresh.refresh_if_stale("openai")
    assert len(stub.requests) == n  # fresh enough: no call
    assert fresh.state("openai").describe() == "3 models (listed just now)"
    fresh.refresh_if_stale("openai", max_age_s=0)  # stale: listed again
    assert len(stub.requests) == n + 1 and fresh.state("openai").tested


def test_another_base_url_has_its_own_list(stub: Stub) -> None:
    cat = catalog(stub)
    cat.refresh("openai")
    cat.client.set_base_url("openai", f"{stub.root}/other/v1")
    assert cat.state("openai").models == ()


def test_a_damaged_cache_is_set_aside(stub: Stub) -> None:
    path = model_catalog.cache_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"schema": 1, "lists": [')
    cat = catalog(stub)
    cat.load_cache()
    assert cat.state("openai").models == ()
    assert list(path.parent.glob("models.json.bad-*"))
    cat.refresh("openai")  # and a new one is written
    assert json.loads(path.read_text())["schema"] == 1


def test_rejected_key(stub: Stub) -> None:
    stub.faults["anthropic"] = Fault(status=401)
    listing = catalog(stub).refresh("anthropic")
    assert listing.phase == "failed" and listing.status == 401
    assert listing.describe() == "Connection failed: the API key was rejected (HTTP 401)"


def test_no_server(stub: Stub) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    cat = catalog(stub)
    cat.client.set_base_url("openai", f"http://127.0.0.1:{port}/v1")
    listing = cat.refresh("openai")
    assert listing.phase == "failed" and listing.status is None
    assert "could not connect" in listing.message


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_timeout(stub: Stub, provider: str) -> None:
    stub.faults[provider] = Fault(delay_s=3.0)
    t0 = time.monotonic()
    listing = catalog(stub, timeout_s=0.5).refresh(provider)
    assert time.monotonic() - t0 < 2.5  # one attempt, no retries
    assert listing.phase == "failed" and "timed out" in listing.message


def test_a_failure_keeps_the_cached_list(stub: Stub) -> None:
    catalog(stub).refresh("gemini")
    stub.faults["gemini"] = Fault(status=500)
    cat = catalog(stub)
    cat.load_cache()
    listing = cat.refresh("gemini")
    assert listing.phase == "failed" and listing.models == tuple(sorted(stub.models["gemini"]))
