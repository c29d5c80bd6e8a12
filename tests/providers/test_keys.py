"""KeyStore: keys saved in the keychain (a test backend), precedence over the environment,
the no-keychain fallback, the opt-in plain file, a refusing keychain, and no key in output."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import keyring
import keyring.backend
import keyring.core
import pytest
from keyring.backends import fail
from sloppy_testkit.keyring_backend import FileKeyring
from sloppy_testkit.provider_stub import PROVIDERS, Stub, base_urls

from sloppy.providers import keys, table
from sloppy.providers.client import AIClient, ProviderError
from sloppy.providers.keys import KeyStore
from sloppy.providers.model_catalog import ModelCatalog
from sloppy.warm import engine

pytestmark = pytest.mark.usefixtures("sdks")

SECRET = "sk-app-saved-key-7c1e0b"
ENV_SECRET = "sk-from-the-environment-93ad"


@pytest.fixture
def chain(tmp_path: Path) -> FileKeyring:
    backend = FileKeyring(tmp_path / "keychain.json")
    keyring.set_keyring(backend)
    return backend


def store_for(stub: Stub) -> KeyStore:
    client = AIClient(base_urls=base_urls(stub), max_retries=0)
    store = KeyStore(client)
    store.load()
    return store


def last_key(stub: Stub) -> str:
    return stub.requests[-1]["headers"]["authorization"].removeprefix("Bearer ")


def test_save_in_the_keychain_and_found_after_restart(stub: Stub, chain: FileKeyring) -> None:
    store = store_for(stub)
    assert store.describe("openai") == "API key: missing"
    assert store.save("openai", f"  {SECRET}\n") == "keychain"  # pasted with whitespace
    assert store.describe("openai") == "API key: saved in the keychain"
    assert chain.get_password("sloppy", "openai") == SECRET
    again = store_for(stub)  # a new process would do this at start
    assert again.describe("openai") == "API key: saved in the keychain"
    again.client.send("openai", "m", [], "hi")
    assert last_key(stub) == SECRET


def test_app_key_wins_over_the_environment(
    stub: Stub, chain: FileKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_SECRET)
    store = store_for(stub)
    assert store.describe("openai") == "API key: from OPENAI_API_KEY"
    assert store.status()["openai"] == {"available": True, "source": "OPENAI_API_KEY"}
    store.save("openai", SECRET)
    store.client.send("openai", "m", [], "hi")
    assert last_key(stub) == SECRET
    store.remove("openai")
    assert chain.get_password("sloppy", "openai") is None
    assert store.describe("openai") == "API key: from OPENAI_API_KEY"
    store.client.send("openai", "m", [], "hi")
    assert last_key(stub) == ENV_SECRET


def test_gemini_names_the_variable_the_sdk_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    store = KeyStore(AIClient())
    monkeypatch.setenv("GEMINI_API_KEY", "g1")
    assert store.describe("gemini") == "API key: from GEMINI_API_KEY"
    monkeypatch.setenv("GOOGLE_API_KEY", "g2")  # google-genai prefers it
    assert store.describe("gemini") == "API key: from GOOGLE_API_KEY"


def test_no_keychain_keeps_the_key_for_this_session_only(
    stub: Stub, sloppy_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keyring.set_keyring(fail.Keyring())
    caplog.set_level(logging.INFO)
    store = store_for(stub)
    assert store.keychain_ok is False
    assert store.save("anthropic", SECRET) == "session"
    assert store.describe("anthropic") == "API key: this session only"
    store.client.send("anthropic", "m", [], "hi")
    assert stub.requests[-1]["headers"]["authorization"] == f"Bearer {SECRET}"
    # Nothing on disk holds the key, and a restart has none.
    for f in sloppy_home.rglob("*"):
        assert not f.is_file() or SECRET not in f.read_text(errors="replace")
    store.save("gemini", "another-key-123")
    assert caplog.text.count(keys.NO_KEYCHAIN) == 1  # said once per session
    assert SECRET not in caplog.text
    assert store_for(stub).describe("anthropic") == "API key: missing"


def test_the_plain_file_only_when_chosen(stub: Stub) -> None:
    keyring.set_keyring(fail.Keyring())
    store = store_for(stub)
    store.save("openai", SECRET)
    assert not keys.key_file().exists()
    store.choose_file(True)  # the session's key moves into the file
    path = keys.key_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["keys"] == {"openai": SECRET}
    assert store.describe("openai") == f"API key: saved in {path} (plain text)"
    assert store.save("gemini", "g-key-123456") == "file"
    again = store_for(stub)
    assert again.source("openai") == "file" and again.source("gemini") == "file"
    again.remove("openai")
    assert json.loads(path.read_text())["keys"] == {"gemini": "g-key-123456"}


def test_a_refusing_keychain_falls_back_and_says_why(stub: Stub, tmp_path: Path) -> None:
    keyring.set_keyring(FileKeyring(tmp_path / "locked.json", refuse=True))
    store = store_for(stub)
    assert store.keychain_ok is True
    assert store.save("openai", SECRET) == "session"
    assert store.problem is not None and "locked" in store.problem
    assert SECRET not in store.problem


def test_without_the_keychain_module_keys_still_work(stub: Stub) -> None:
    engine.activate(None)  # keychain module unavailable (failed to warm)
    store = store_for(stub)
    assert store.keychain_ok is False
    assert store.save("openai", SECRET) == "session"
    assert store.problem and "unavailable" in store.problem


def test_a_rejected_key_is_a_401_without_the_key(stub: Stub, chain: FileKeyring) -> None:
    stub.rejected_keys.add(SECRET)
    store = store_for(stub)
    for provider in PROVIDERS:
        store.save(provider, SECRET)
        listing = ModelCatalog(store.client).refresh(provider)
        assert listing.phase == "failed" and listing.status == 401, provider
        assert "rejected" in listing.describe() and SECRET not in listing.describe()
        with pytest.raises(ProviderError) as info:
            store.client.send(provider, "m", [], "hi")
        assert info.value.status == 401 and SECRET not in str(info.value)


def test_status_and_description_never_hold_the_key(stub: Stub, chain: FileKeyring) -> None:
    store = store_for(stub)
    for provider in table.PROVIDERS:
        store.save(provider, SECRET)
        assert SECRET not in store.describe(provider)
    assert SECRET not in json.dumps(store.status())
    assert all(v == {"available": True, "source": "keychain"} for v in store.status().values())


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError):
        KeyStore(AIClient()).save("openai", "   ")


def test_a_damaged_key_file_is_set_aside(stub: Stub) -> None:
    keyring.set_keyring(fail.Keyring())
    path = keys.key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"schema": 1, "keys": ')
    store = store_for(stub)
    assert store.describe("openai") == "API key: missing"
    assert not path.exists() and list(path.parent.glob("api_keys.json.bad-*"))


def test_sends_wait_for_the_saved_keys(stub: Stub, chain: FileKeyring, sdks) -> None:
    chain.set_password("sloppy", "openai", SECRET)
    store = KeyStore(AIClient(base_urls=base_urls(stub)))
    assert store.describe("openai") == "API key: missing"  # not asked yet: nothing to wait for
    gate: list[object] = []
    store.start_loading(gate.append)  # loading started, not run yet
    assert store.describe("openai") == "API key: checking the keychain..."
    assert not store.wait_loaded(0.05)
    sdks.submit_io(gate[0]).result(10)
    assert store.wait_loaded(0) and store.describe("openai") == "API key: saved in the keychain"


def test_the_real_secret_service(
    stub: Stub, secret_service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keyring's own discovery finds gnome-keyring over D-Bus; the key survives a restart."""
    from keyring.backends import SecretService

    # keyring scans for viable backends once per process; an earlier scan (no bus) would hide
    # this one: forget it for this test. No backend is chosen yet (the conftest resets it).
    monkeypatch.delattr(keyring.backend.get_all_keyring, "saved_result", raising=False)
    assert keyring.core._keyring_backend is None
    store = store_for(stub)
    assert store.keychain_ok is True and "SecretService" in store.keychain_name
    assert store.save("gemini", SECRET) == "keychain"
    assert SecretService.Keyring().get_password("sloppy", "gemini") == SECRET
    again = store_for(stub)
    assert again.describe("gemini") == "API key: saved in the keychain"
    again.remove("gemini")
    assert SecretService.Keyring().get_password("sloppy", "gemini") is None
