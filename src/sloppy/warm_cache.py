"""The persisted warm cache: the compiled code of every warmed module in one mmap'd file.

Instead of the path finder (directory scans, a ``.pyc`` read per module, or a recompile when
``.pyc`` files cannot be written) or PyInstaller's PYZ (a lookup and zlib per module), sloppy
reads code objects from ``warm_cache.bin`` in the user cache: the warm lane's modules, and
the GUI thread's own first-frame modules loaded after the finder is installed (without
``.pyc`` files those cost 0.2 s of compiling per start; opening the index costs 6.5 ms).
Its loader subclasses ``SourceFileLoader``, so ``__file__``, ``__path__``, resources and
tracebacks are unchanged.

Freshness is one ``stat`` per module: the warm lane checks every entry in one batch before
its first import (``validate``), because a ``stat`` per import, interleaved with the imports,
gave the GUI 45-60 ms frames (23-25 ms in one batch; docs/design.md); modules loaded before
that (the GUI's own) are checked one by one.

The cache is built by the run that lacks one: as modules import, each one's code
object is captured as it is executed and appended to a temp file; the index follows at warm
completion (and at exit), then ``os.replace``. A stale key (other Python, app, build or
site-packages), a changed source file, or a corrupt file means: ignore and rebuild.
``SLOPPY_WARM_CACHE=off`` disables serving and building.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import json
import logging
import marshal
import mmap
import os
import struct
import sys
import tempfile
import threading
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from sloppy import __version__, paths, storage

log = logging.getLogger(__name__)

FORMAT = 1
MAGIC = b"SLOPPYWC"
FILENAME = "warm_cache.bin"
ENV = "SLOPPY_WARM_CACHE"
# magic, format, index offset, index length, key length; the key's JSON follows the header
HEADER = struct.Struct("<8sIQQI")
_CAPTURABLE = ("SourceFileLoader", "SourcelessFileLoader", "PyiFrozenLoader")


def enabled() -> bool:
    """False when ``SLOPPY_WARM_CACHE=off``."""
    return os.environ.get(ENV, "on").strip().lower() not in ("off", "0", "no", "false")


def _build_id() -> str:
    base = Path(getattr(sys, "_MEIPASS", ""))
    try:
        return (base / "sloppy" / "build_id.txt").read_text().strip()
    except OSError:
        st = os.stat(sys.executable)
        return f"exe:{st.st_size}:{st.st_mtime_ns}"


def cache_key() -> dict[str, Any]:
    """What the cached code depends on; any change means rebuild."""
    frozen = bool(getattr(sys, "frozen", False))
    key: dict[str, Any] = {
        "format": FORMAT,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "app": __version__,
        "optimize": sys.flags.optimize,
        "frozen": frozen,
    }
    if frozen:
        key["build"] = _build_id()
    else:
        # Installing or upgrading a distribution changes its site-packages directory.
        key["site"] = sorted(
            (p, os.stat(p).st_mtime_ns)
            for p in sys.path
            if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)
        )
    return key


def _key_bytes(key: dict[str, Any]) -> bytes:
    # Stored and compared as is: no digest, so opening the cache imports nothing.
    return json.dumps(key, sort_keys=True).encode()


class Entry(NamedTuple):
    offset: int
    length: int
    origin: str
    search: tuple[str, ...] | None  # a package's __path__
    mtime_ns: int  # -1 when frozen (no source file to check)
    size: int


class WarmCacheLoader(importlib.machinery.SourceFileLoader):
    """A file loader whose code comes from the cache instead of the file system."""

    SLOPPY_SOURCE = "warm-cache"

    def __init__(self, fullname: str, path: str, blob: bytes | memoryview) -> None:
        super().__init__(fullname, path)
        self._blob = blob

    def get_code(self, fullname: str) -> Any:
        return marshal.loads(self._blob)

    def get_source(self, fullname: str) -> str | None:
        try:
            return super().get_source(fullname)
        except ImportError:  # frozen: no source shipped
            return None


class WarmCache:
    """Meta-path finder serving the cache to worker threads, and the builder of the next one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.frozen = bool(getattr(sys, "frozen", False))
        # Reentrant: anything imported while opening or saving comes back
        # through this finder on the same thread (it then sees _opened and steps aside).
        self._lock = threading.RLock()
        self._opened = False
        self._map: mmap.mmap | None = None
        self._index: dict[str, Entry] = {}
        self._stale: set[str] = set()
        self._checked: dict[str, bool] | None = None  # name -> fresh, once validate() ran
        self._capture: Any = None  # temp file for captured code
        self._captured: dict[str, Entry] = {}
        self._key = b""
        self.served = 0
        self.status = "unopened"

    # -- reading -----------------------------------------------------------------------

    def _open(self) -> None:
        self._opened = True
        try:
            with open(self.path, "rb") as fh:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (FileNotFoundError, ValueError):  # ValueError: an empty file cannot be mapped
            self.status = "absent"
            return
        except OSError as exc:
            self.status = f"unreadable: {exc}"
            return
        problem = self._read_index(self._map)
        if problem is not None:
            self._map.close()
            self._map, self._index = None, {}
            if problem == "stale":
                self.status = "stale"
                log.info("warm cache is stale (Python, app, build or packages changed); rebuilding")
            else:
                self.status = "corrupt"
                storage.set_aside(self.path, problem)
            return
        self.status = f"loaded {len(self._index)} modules"

    @staticmethod
    def _check_header(data: mmap.mmap) -> tuple[int, int] | str:
        """``(index offset, length)``, or what is wrong with the header."""
        if len(data) < HEADER.size:
            return "truncated header"
        magic, fmt, offset, length, key_len = HEADER.unpack_from(data, 0)
        if magic != MAGIC or fmt != FORMAT:
            return "not a sloppy warm cache of this format"
        if HEADER.size + key_len > len(data):
            return "truncated key"
        if data[HEADER.size : HEADER.size + key_len] != _key_bytes(cache_key()):
            return "stale"
        if offset + length > len(data) or offset < HEADER.size + key_len:
            return "truncated index"
        return offset, length

    def _read_index(self, data: mmap.mmap) -> str | None:
        checked = self._check_header(data)
        if isinstance(checked, str):
            return checked
        offset, length = checked
        try:
            raw = marshal.loads(data[offset : offset + length])
            self._index = {name: Entry(*fields) for name, fields in raw.items()}
        except (ValueError, EOFError, TypeError) as exc:
            return f"garbled index: {exc.__class__.__name__}"
        if any(e.offset + e.length > offset for e in self._index.values()):
            return "entry beyond the index"
        return None

    @staticmethod
    def _fresh(entry: Entry) -> bool:
        if entry.mtime_ns < 0:
            return True
        try:
            st = os.stat(entry.origin)
        except OSError:
            return False
        return st.st_mtime_ns == entry.mtime_ns and st.st_size == entry.size

    def validate(self) -> int:
        """Check every entry against its source now; returns how many are stale."""
        with self._lock:
            if not self._opened:
                self._open()
            index = dict(self._index)
        checked = {name: self._fresh(e) for name, e in index.items()}
        with self._lock:
            self._checked = checked
        stale = sum(not fresh for fresh in checked.values())
        if stale:
            log.info(
                "warm cache: %d of %d sources changed; those load from source", stale, len(index)
            )
        return stale

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        with self._lock:
            if not self._opened:
                self._open()
            entry = self._index.get(fullname)
            if entry is None or self._map is None:
                return None
            checked = self._checked
            fresh = checked.get(fullname) if checked is not None else None
            if not (self._fresh(entry) if fresh is None else fresh):
                self._stale.add(fullname)
                return None
            # A view, not a copy: marshal reads straight from the mapped file.
            blob = memoryview(self._map)[entry.offset : entry.offset + entry.length]
        loader = WarmCacheLoader(fullname, entry.origin, blob)
        # What spec_from_file_location builds, without its path handling per module.
        spec = ModuleSpec(
            fullname, loader, origin=entry.origin, is_package=entry.search is not None
        )
        spec.has_location = True
        if entry.search is not None:
            spec.submodule_search_locations = list(entry.search)
        self.served += 1
        return spec

    # -- building ----------------------------------------------------------------------

    def execute(self, loader: Any, module: ModuleType) -> None:
        """Run ``module`` like its loader would, keeping its code for the next cache."""
        name = module.__name__
        spec = module.__spec__
        capturable = (
            type(loader).__name__ in _CAPTURABLE
            and spec is not None
            and spec.origin is not None
            and (name not in self._index or name in self._stale)
        )
        if not capturable:
            loader.exec_module(module)
            return
        code = loader.get_code(name)
        if code is None:
            loader.exec_module(module)
            return
        assert spec is not None and spec.origin is not None
        self._keep(name, spec, marshal.dumps(code))
        exec(code, module.__dict__)

    def _keep(self, name: str, spec: ModuleSpec, blob: bytes) -> None:
        origin = spec.origin or ""
        mtime, size = -1, 0
        if not self.frozen:
            try:
                st = os.stat(origin)
                mtime, size = st.st_mtime_ns, st.st_size
            except OSError:
                return  # no file to validate against later: do not cache it
        search = spec.submodule_search_locations
        with self._lock:
            if self._capture is None:
                if paths.ensure_dir(self.path.parent) is None:
                    return
                # Open across many imports until save(): no context manager fits.
                self._capture = tempfile.NamedTemporaryFile(  # noqa: SIM115
                    dir=self.path.parent, prefix=".warm_cache.", suffix=".tmp", delete=False
                )
                self._key = _key_bytes(cache_key())
                self._capture.write(b"\0" * HEADER.size + self._key)
            offset = self._capture.tell()
            self._capture.write(blob)
            self._captured[name] = Entry(
                offset,
                len(blob),
                origin,
                tuple(search) if search is not None else None,
                mtime,
                size,
            )

    def save(self) -> bool:
        """Write the cache if this run captured anything new; atomic; never raises."""
        with self._lock:
            capture, captured = self._capture, dict(self._captured)
            if capture is None or not captured:
                return False
            self._capture, self._captured = None, {}
            try:
                index = {n: tuple(e) for n, e in captured.items()}
                if self._map is not None:  # keep the still-valid entries of the old cache
                    for name, e in self._index.items():
                        if name in index or name in self._stale:
                            continue
                        offset = capture.tell()
                        capture.write(self._map[e.offset : e.offset + e.length])
                        index[name] = tuple(e._replace(offset=offset))
                raw = marshal.dumps(index)
                index_offset = capture.tell()
                capture.write(raw)
                capture.seek(0)
                capture.write(HEADER.pack(MAGIC, FORMAT, index_offset, len(raw), len(self._key)))
                capture.flush()
                os.fsync(capture.fileno())
                capture.close()
                os.replace(capture.name, self.path)
            except OSError as exc:
                log.warning("cannot write the warm cache %s: %s", self.path, exc)
                with contextlib.suppress(OSError):
                    capture.close()
                    os.unlink(capture.name)
                return False
        log.info("warm cache written: %d modules", len(index))
        return True

    def discard(self) -> None:
        """Drop an unfinished capture (its temp file) without writing a cache."""
        with self._lock:
            capture, self._capture = self._capture, None
        if capture is not None:
            with contextlib.suppress(OSError):
                capture.close()
                os.unlink(capture.name)


_installed: WarmCache | None = None


def install(path: Path | None = None) -> WarmCache | None:
    """Put the warm cache first on ``sys.meta_path`` (idempotent); None when disabled.

    Install it before the recorder: the recorder, given ``cache.execute``, goes in front.
    """
    global _installed
    if not enabled():
        return None
    if _installed is None:
        _installed = WarmCache(path or paths.cache_dir() / FILENAME)
    if _installed not in sys.meta_path:
        sys.meta_path.insert(0, _installed)
    return _installed


def current() -> WarmCache | None:
    return _installed
