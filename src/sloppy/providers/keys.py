"""API keys entered in the app: kept in the OS keychain, else for this session only.

Instead of reading ``OPENAI_API_KEY`` and friends alone, the app asks a ``KeyStore``: a key saved
in the app wins, then the SDK's environment variable. Keychain calls block (D-Bus, an unlock
prompt), so every method but the per-frame readers runs on the pool. With no keychain the key is
kept in memory, unless the user chose a plain file (0600, its path shown). The key itself is never
logged, reported or shown: only where it comes from.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from sloppy.providers.client import AIClient
from sloppy.providers.table import PROVIDER_TABLE, PROVIDERS
from sloppy.store import files, paths
from sloppy.warm.engine import WarmupError, _require_warmed

log = logging.getLogger(__name__)

KEYCHAIN = "sloppy.store.keychain"
KEY_FILE = "api_keys.json"
FILE_SCHEMA = 1
#: How long a send waits for the saved keys to be read at start (the keychain is warm-listed).
LOAD_WAIT_S = 30.0
NO_KEYCHAIN = "No keychain on this system: keys are kept for this session only."

# Where an app key came from (``KeyStore.source``).
KEYCHAIN_SOURCE, SESSION, FILE = "keychain", "session", "file"
#: What the panel says about each key source (``describe``); FILE's text names the file.
_WHERE: dict[str | None, str] = {
    KEYCHAIN_SOURCE: "saved in the keychain",
    SESSION: "this session only",
    "app": "set in the app",
    None: "missing",
}


class KeyStatus(TypedDict):
    """One provider's key in ``/api/status``: whether there is one, and where from (never it)."""

    available: bool
    source: str | None


def key_file() -> Path:
    """The opt-in plain-text key file (only written when the user asks for it)."""
    return paths.config_dir() / KEY_FILE


class KeyStore:
    """Which key each provider uses, and saving/removing keys. Thread-safe."""

    def __init__(self, client: AIClient) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._sources: dict[str, str] = {}  # provider -> keychain | session | file
        self._started = False
        self._loaded = threading.Event()
        self.keychain_ok: bool | None = None  # None until the keychain has been asked
        self.keychain_name = ""
        self.problem: str | None = None  # the last keychain failure, for the panel
        self.use_file = False

    # -- start-up ----------------------------------------------------------------------

    def start_loading(self, submit: Callable[[Callable[[], None]], Any]) -> None:
        """Read the saved keys on the pool (``submit``); sends wait for it (bounded)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        submit(self.load)

    def load(self) -> None:
        """Read every provider's saved key: keychain first, then the opt-in file."""
        try:
            self._started = True
            from_file = self._read_file()
            if from_file:
                self.use_file = True
            chain = self._keychain()
            for provider in PROVIDERS:
                key, source = None, None
                if chain is not None and self.keychain_ok:
                    try:
                        key, source = chain.get(provider), KEYCHAIN_SOURCE
                    except chain.KeychainError as exc:
                        self._note_problem(str(exc))
                if not key and from_file.get(provider):
                    key, source = from_file[provider], FILE
                if key and source:
                    self._set(provider, key, source)
        finally:
            self._loaded.set()

    def wait_loaded(self, timeout: float = LOAD_WAIT_S) -> bool:
        """Wait for ``load`` if it was started; True at once if it never was."""
        if not self._started:
            return True
        return self._loaded.wait(timeout)

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set() or not self._started

    @property
    def read_saved(self) -> bool:
        """True once the saved keys have actually been read (not merely never asked for)."""
        return self._loaded.is_set()

    # -- per frame (cheap, no I/O) -----------------------------------------------------

    def source(self, provider: str) -> str | None:
        """``keychain``, ``session``, ``file``, ``app`` (handed to the client directly), an
        environment variable's name, or None."""
        return self._sources.get(provider) or self.client.key_source(provider)

    def describe(self, provider: str) -> str:
        """What the panel says about the key in use (never the key)."""
        if not self.loaded and self._sources.get(provider) is None:
            return "API key: checking the keychain..."
        source = self.source(provider)
        if source == FILE:  # the only text with a path in it: built when shown
            return f"API key: saved in {key_file()} (plain text)"
        return f"API key: {_WHERE.get(source, f'from {source}')}"

    def any_key(self) -> bool:
        """Whether any provider has a key (the first-run hint shows when none has)."""
        return any(self.source(p.id) for p in PROVIDER_TABLE if not p.key_optional)

    def status(self) -> dict[str, KeyStatus]:
        """Per provider: whether a key is available and where from (``/api/status``)."""
        return {
            p: KeyStatus(available=bool(self.source(p)), source=self.source(p)) for p in PROVIDERS
        }

    # -- changes (on the pool) ---------------------------------------------------------

    def save(self, provider: str, key: str) -> str:
        """Keep ``key`` for ``provider``: keychain, else the opt-in file, else this session.

        Returns where it went (``keychain`` | ``file`` | ``session``).
        """
        key = key.strip()
        if not key:
            raise ValueError("the key is empty")
        self.wait_loaded()
        chain = self._keychain()
        if chain is not None and self.keychain_ok:
            try:
                chain.put(provider, key)
            except chain.KeychainError as exc:
                self._note_problem(str(exc))
            else:
                self._drop_from_file(provider)
                self._set(provider, key, KEYCHAIN_SOURCE)
                log.info("%s: API key saved in the keychain", provider)
                return KEYCHAIN_SOURCE
        if self.use_file:
            keys = self._read_file()
            keys[provider] = key
            self._write_file(keys)
            self._set(provider, key, FILE)
            log.info("%s: API key saved in %s", provider, key_file())
            return FILE
        self._set(provider, key, SESSION)
        log.info("%s: API key kept for this session only", provider)
        return SESSION

    def remove(self, provider: str) -> None:
        """Forget the app's key for ``provider`` (keychain, file and session)."""
        self.wait_loaded()
        chain = self._keychain()
        if chain is not None and self.keychain_ok:
            try:
                chain.delete(provider)
            except chain.KeychainError as exc:
                self._note_problem(str(exc))
        self._drop_from_file(provider)
        with self._lock:
            self._sources.pop(provider, None)
        self.client.set_key(provider, None)
        log.info("%s: API key removed from the app", provider)

    def choose_file(self, enabled: bool) -> None:
        """The user's choice: keep keys in a 0600 plain file when there is no keychain.

        Turning it on moves this session's keys into the file; turning it off leaves the file
        alone (it is the user's) until keys are removed one by one.
        """
        self.use_file = enabled
        if not enabled:
            return
        with self._lock:
            session = [p for p, s in self._sources.items() if s == SESSION]
        if session:
            keys = self._read_file()
            for provider in session:
                keys[provider] = self.client.app_key(provider) or ""
            self._write_file({p: k for p, k in keys.items() if k})
            with self._lock:
                for provider in session:
                    self._sources[provider] = FILE

    # -- helpers -----------------------------------------------------------------------

    def _set(self, provider: str, key: str, source: str) -> None:
        self.client.set_key(provider, key)
        with self._lock:
            self._sources[provider] = source

    def _keychain(self) -> Any:
        try:
            chain = _require_warmed(KEYCHAIN)
        except WarmupError as exc:
            self.keychain_ok = False
            self._note_problem(f"the keychain module is unavailable: {exc.cause}")
            return None
        if self.keychain_ok is None:
            self.keychain_ok = bool(chain.usable())
            self.keychain_name = str(chain.backend_name())
            if not self.keychain_ok:
                log.warning("keychain: %s", NO_KEYCHAIN)
        return chain

    def _note_problem(self, text: str) -> None:
        if text != self.problem:
            log.warning("keychain: %s", text)
        self.problem = text

    def _read_file(self) -> dict[str, str]:
        doc = files.read_json(key_file(), schema=FILE_SCHEMA, limit=64 * 1024)
        keys = doc.get("keys") if isinstance(doc, dict) else None
        if not isinstance(keys, dict):
            return {}
        return {p: k for p, k in keys.items() if p in PROVIDERS and isinstance(k, str) and k}

    def _write_file(self, keys: dict[str, str]) -> None:
        body = json.dumps({"schema": FILE_SCHEMA, "keys": keys}, indent=1).encode("utf-8")
        files.write_atomic(key_file(), body, mode=0o600)

    def _drop_from_file(self, provider: str) -> None:
        keys = self._read_file()
        if provider in keys:
            del keys[provider]
            self._write_file(keys)
