"""Each provider's model list: fetched through the SDK on the pool, cached with a time stamp.

Instead of a hard-coded model list, the Provider panel offers what the account lists. ``refresh``
is also "Test connection": one authenticated call whose failure says why (a rejected key, no
network, a timeout). Lists are cached in ``models.json`` in the user cache, per provider and base
URL, and fetched again in the background when older than ``MODEL_LIST_TTL_S``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sloppy.providers.client import AIClient, ProviderError
from sloppy.providers.table import MODEL_LIST_TIMEOUT_S, MODEL_LIST_TTL_S
from sloppy.store import files, paths

log = logging.getLogger(__name__)

CACHE_FILE = "models.json"
SCHEMA = 1
MAX_MODELS = 2000


class Listing(NamedTuple):
    """One provider's list as the panel shows it."""

    phase: str = "none"  # none | fetching | ok | failed
    models: tuple[str, ...] = ()
    fetched_epoch: float | None = None
    tested: bool = False  # True: the list came from a call made in this session
    message: str = ""  # why the last call failed
    status: int | None = None  # its HTTP status, if any

    def describe(self, now: float | None = None) -> str:
        """One line for the panel."""
        if self.phase == "fetching":
            return "Testing the connection..."
        if self.phase == "failed":
            status = f" (HTTP {self.status})" if self.status else ""
            return f"Connection failed: {self.message}{status}"
        if self.phase == "ok" and self.tested:
            return f"Connected: {len(self.models)} models"
        if self.models and self.fetched_epoch is not None:
            age = (now or time.time()) - self.fetched_epoch
            return f"{len(self.models)} models (listed {_ago(age)})"
        return ""


def _ago(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def cache_path() -> Path:
    return paths.cache_dir() / CACHE_FILE


@dataclass
class ModelCatalog:
    """Model lists per provider; ``state`` is cheap (per frame), the rest runs on the pool."""

    client: AIClient
    timeout_s: float = MODEL_LIST_TIMEOUT_S
    _lists: dict[str, Listing] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cache_read: bool = False

    def _slot(self, provider: str) -> str:
        return f"{provider}|{self.client.base_url(provider) or ''}"

    def state(self, provider: str) -> Listing:
        return self._lists.get(self._slot(provider), Listing())

    def load_cache(self) -> None:
        """Read ``models.json`` (bounded; a bad file is set aside) into memory."""
        doc = files.read_json(cache_path(), schema=SCHEMA, limit=4 * 1024 * 1024)
        lists = doc.get("lists") if isinstance(doc, dict) else None
        with self._lock:
            self._cache_read = True
            if not isinstance(lists, dict):
                return
            for slot, entry in lists.items():
                listing = _parse(entry)
                if listing is not None and slot not in self._lists:
                    self._lists[slot] = listing

    def refresh(self, provider: str) -> Listing:
        """List the models now (blocking): the connection test. Never raises."""
        slot = self._slot(provider)
        with self._lock:
            self._lists[slot] = self.state(provider)._replace(phase="fetching")
        try:
            models = self.client.list_models(provider, timeout_s=self.timeout_s)
        except ProviderError as exc:
            listing = self._lists[slot]._replace(
                phase="failed", message=exc.message, status=exc.status
            )
            log.info("%s: model listing failed: %s", provider, exc.message)
        else:
            listing = Listing("ok", tuple(models[:MAX_MODELS]), time.time(), tested=True)
            self._save(slot, listing)
        with self._lock:
            self._lists[slot] = listing
        return listing

    def refresh_if_stale(self, provider: str, *, max_age_s: float = MODEL_LIST_TTL_S) -> None:
        """Fetch in the background once a key is there and the cached list is old or missing."""
        if not self._cache_read:
            self.load_cache()
        current = self.state(provider)
        if current.phase in ("fetching", "failed") or current.tested:
            return
        fetched = current.fetched_epoch
        if fetched is not None and 0 <= time.time() - fetched < max_age_s:
            return
        self.refresh(provider)

    def _save(self, slot: str, listing: Listing) -> None:
        # Re-read first: another instance may have listed another provider meanwhile.
        if paths.ensure_dir(cache_path().parent) is None:
            return
        doc = files.read_json(cache_path(), schema=SCHEMA, limit=4 * 1024 * 1024)
        lists = doc.get("lists") if isinstance(doc, dict) else None
        lists = dict(lists) if isinstance(lists, dict) else {}
        lists[slot] = {"models": list(listing.models), "fetched_epoch": listing.fetched_epoch}
        try:
            files.write_json_atomic(cache_path(), {"schema": SCHEMA, "lists": lists})
        except OSError as exc:
            log.warning("cannot save the model list: %s", exc)


def _parse(entry: object) -> Listing | None:
    if not isinstance(entry, dict):
        return None
    models, fetched = entry.get("models"), entry.get("fetched_epoch")
    if not isinstance(models, list) or not isinstance(fetched, int | float):
        return None
    names = tuple(m for m in models[:MAX_MODELS] if isinstance(m, str) and 0 < len(m) <= 200)
    return Listing("ok", names, float(fetched))
