"""The persisted warm cache: the compiled code of every warmed module in one mmap'd file.

Instead of the path finder (directory scans, a ``.pyc`` read per module, or a recompile when
``.pyc`` files cannot be written) or PyInstaller's PYZ (a lookup and zlib per module), sloppy
reads code objects from ``warm_cache.bin`` in the user cache: the warm lane's modules, and
the GUI thread's own first-frame modules loaded after the finder is installed (without
``.pyc`` files those cost 0.2 s of compiling per start). When sloppy's own ``.pyc`` files are
there (as pip leaves them) the first-frame modules gain little from it, so the index is opened
on the lane instead (``deferred``), and the GUI thread's modules load through the normal finders.
Its loader subclasses ``SourceFileLoader``, so ``__file__``, ``__path__``, resources and
tracebacks are unchanged.

Nothing is executed that was not written: a CRC32 over the header, the key and the index is
checked when the file is opened, and each module's own CRC32 right before its code is
unmarshalled. A bad entry is not served (the normal loader takes that module); the file is
set aside at the next save and rebuilt from what still checks out.

Freshness is one ``stat`` per module: the warm lane checks every entry in one batch before
its first import (``validate``), because a ``stat`` per import, interleaved with the imports,
gave the GUI 45-60 ms frames (23-25 ms in one batch; docs/design.md); modules loaded before
that (the GUI's own) are checked one by one.

The cache is built by the run that lacks modules in it: as modules import, each one's code
object is captured as it is executed and appended to one temp file per cache (locked while it
is written, so a second instance does not build at the same time); the index follows at warm
completion (and at exit), merged with the entries of the cache on disk, then ``os.replace``.
A stale key (other Python, app, build, ``sys.path`` or packages), a changed source file, or a
corrupt file means: ignore and rebuild. ``SLOPPY_WARM_CACHE=off`` disables serving and building.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import logging
import marshal
import mmap
import os
import sys
import threading
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

from sloppy.store import aside, paths
from sloppy.warm import cache_format, cache_temps
from sloppy.warm.cache_format import Entry, Mapped, cache_key, crc, key_bytes, map_file

log = logging.getLogger(__name__)

FILENAME = "warm_cache.bin"
ENV = "SLOPPY_WARM_CACHE"
#: Unmarshalled code between two releases of the mapping's pages: bounds what the mapping
#: adds to the resident set while warming.
RELEASE_BYTES = 2 << 20
_CAPTURABLE = ("SourceFileLoader", "SourcelessFileLoader", "PyiFrozenLoader")
_ON = ("", "on", "1", "yes", "true")
_OFF = ("off", "0", "no", "false")
_warned_value = False


def enabled() -> bool:
    """False when ``SLOPPY_WARM_CACHE`` is ``off`` (or 0/no/false); an unknown value warns once."""
    global _warned_value
    raw = os.environ.get(ENV, "on")
    value = raw.strip().lower()
    if value in _ON:
        return True
    if value not in _OFF and not _warned_value:
        _warned_value = True
        log.warning("%s=%r is neither on nor off: the warm cache is off", ENV, raw)
    return False


class WarmCacheLoader(importlib.machinery.SourceFileLoader):
    """A file loader whose code comes from the cache instead of the file system."""

    SLOPPY_SOURCE = "warm-cache"

    def __init__(
        self, fullname: str, path: str, blob: bytes | memoryview, cache: WarmCache | None = None
    ) -> None:
        super().__init__(fullname, path)
        self._blob = blob
        self._cache = cache

    def get_code(self, fullname: str) -> Any:
        # The blob's CRC was checked by find_spec; this guards only against a collision.
        try:
            code = marshal.loads(self._blob)
            if self._cache is not None:
                self._cache.consumed(len(self._blob))
            return code
        except (ValueError, EOFError, TypeError) as exc:
            if self._cache is not None:
                self._cache.reject(fullname, f"bad marshal data ({exc.__class__.__name__})")
        return super().get_code(fullname)

    def get_source(self, fullname: str) -> str | None:
        try:
            return super().get_source(fullname)
        except ImportError:  # frozen: no source shipped
            return None


class WarmCache:
    """Meta-path finder serving the cache to worker threads, and the builder of the next one."""

    def __init__(self, path: Path, *, deferred: bool = False) -> None:
        self.path = path
        self.frozen = bool(getattr(sys, "frozen", False))
        #: Not opened by the first import: ``validate`` (the lane) opens it; until then
        #: imports pass through to the normal finders, uncaptured.
        self.deferred = deferred
        # Reentrant: anything imported while opening or saving comes back
        # through this finder on the same thread (it then sees _opened and steps aside).
        self._lock = threading.RLock()
        self._opened = False
        self._mapped: Mapped | None = None
        self._index: dict[str, Entry] = {}
        self._stale: set[str] = set()
        self._checked: dict[str, bool] | None = None  # name -> fresh, once validate() ran
        self._build: cache_temps.Build | None = None  # the build temp, and the builder lock
        self._capture: BinaryIO | None = None  # what code is written to: the build's file
        self._captured: dict[str, Entry] = {}
        self._no_capture = False  # another instance builds, or the disk refused
        self._key = b""
        #: Why the opened file must be set aside at the next save (a bad entry), if it must.
        self.bad: str | None = None
        self.status = "unopened"
        self._unreleased = 0  # bytes unmarshalled since the mapping's pages were last released

    # -- reading -----------------------------------------------------------------------

    def _open(self) -> None:
        self._opened = True
        # One key for this process: the cache read and the cache written agree on it.
        self._key = key_bytes(cache_key())
        found = map_file(self.path, self._key)
        if found is None:
            self.status = "absent"
        elif isinstance(found, str):
            if found == "stale":
                self.status = "stale"
                log.info(
                    "warm cache is stale (Python, app, build, sys.path or packages changed); "
                    "rebuilding"
                )
            else:
                self.status = "corrupt"
                aside.set_aside(self.path, found, prune_copies=True)
        else:
            self._mapped, self._index = found, found.entries
            self.status = f"loaded {len(self._index)} modules"

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

    def consumed(self, nbytes: int) -> None:
        """``nbytes`` of code were unmarshalled; every ``RELEASE_BYTES`` the mapping's pages
        are released (the code objects are copies: the pages are dead weight in the RSS)."""
        with self._lock:
            self._unreleased += nbytes
            if self._unreleased >= RELEASE_BYTES:
                self.release()

    def release(self) -> None:
        """Drop the mapping's resident pages from this process (``MADV_DONTNEED``).

        The file stays mapped and the pages stay in the page cache: an entry read later (a
        module first loaded after warmup, the merge at save) faults its pages back in.
        """
        with self._lock:
            self._unreleased = 0
            mapped = self._mapped
            if mapped is None or not hasattr(mmap, "MADV_DONTNEED"):
                return
            try:
                mapped.data.madvise(mmap.MADV_DONTNEED)
            except (OSError, ValueError) as exc:  # only a smaller RSS is lost
                log.debug("cannot release the warm cache's pages: %s", exc)

    def reject(self, name: str, reason: str) -> None:
        """Serve ``name`` from its normal loader; the file is set aside at the next save."""
        with self._lock:
            self._stale.add(name)
            first = self.bad is None
            if first:
                self.bad = f"{name}: {reason}"
        if first:  # the set-aside at the next save says it (one line)
            log.debug("warm cache entry %s is bad (%s); loading it from source", name, reason)

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if self.deferred and not self._opened:
            return None
        with self._lock:
            if not self._opened:
                self._open()
            entry = self._index.get(fullname)
            mapped = self._mapped
            if entry is None or mapped is None or fullname in self._stale:
                return None
            checked = self._checked
            fresh = checked.get(fullname) if checked is not None else None
            if not (self._fresh(entry) if fresh is None else fresh):
                self._stale.add(fullname)
                return None
            # A view, not a copy: marshal reads straight from the mapped file.
            blob = memoryview(mapped.data)[entry.offset : entry.offset + entry.length]
        if crc(blob) != entry.crc:
            self.reject(fullname, "checksum mismatch")
            return None
        loader = WarmCacheLoader(fullname, entry.origin, blob, self)
        # What spec_from_file_location builds, without its path handling per module.
        spec = ModuleSpec(
            fullname, loader, origin=entry.origin, is_package=entry.search is not None
        )
        spec.has_location = True
        if entry.search is not None:
            spec.submodule_search_locations = list(entry.search)
        return spec

    # -- building ----------------------------------------------------------------------

    def execute(self, loader: Any, module: ModuleType) -> None:
        """Run ``module`` like its loader would, keeping its code for the next cache."""
        name = module.__name__
        spec = module.__spec__
        capturable = (
            not (self.deferred and not self._opened)
            and not self._no_capture
            and type(loader).__name__ in _CAPTURABLE
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
        assert spec is not None
        self._keep(name, spec, code)
        exec(code, module.__dict__)

    def _keep(self, name: str, spec: ModuleSpec, code: Any) -> None:
        """Append ``code`` to the build temp; a disk error ends capturing, never the import."""
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
            if self._no_capture:
                return
            try:
                blob = marshal.dumps(code)
                if self._capture is None and not self._start_capture():
                    return
                capture = self._capture
                assert capture is not None
                offset = capture.tell()
                capture.write(blob)
            except Exception as exc:  # a disk error or an odd code object: never the import's
                self._stop_capture(exc)
                return
            self._captured[name] = Entry(
                offset,
                len(blob),
                crc(blob),
                origin,
                tuple(search) if search is not None else None,
                mtime,
                size,
            )

    def _start_capture(self) -> bool:
        """Open the build temp (locked); False if another instance is building this cache."""
        if not self._opened:
            self._open()
        if paths.ensure_dir(self.path.parent) is None:
            self._no_capture = True
            return False
        build = cache_temps.start_build(self.path.parent)
        if build is None:
            self._no_capture = True
            log.info("another sloppy is building the warm cache; this one will not")
            return False
        self._build, self._capture = build, build.file
        cache_format.start_file(build.file, self._key)
        return True

    def _stop_capture(self, exc: BaseException) -> None:
        """Give up building for this run (the disk refused): drop the temp, say so once."""
        self._no_capture = True
        self._drop_build()
        paths.warn_unwritable(self.path.parent, f"cannot save the warm cache: {exc}")

    def save(self) -> bool:
        """Write the cache if this run captured anything new; atomic; never raises."""
        try:
            return self._save()
        except Exception as exc:  # a cache is never worth an error in the caller
            with self._lock:
                self._stop_capture(exc)
            return False

    def _save(self) -> bool:
        with self._lock:
            if not self._opened:
                self._open()
            capture, captured = self._capture, dict(self._captured)
            if capture is None or not captured:
                if self.bad is not None:
                    self._set_aside_mapped()
                return False
            try:
                count = self._write(capture, captured)
            except (OSError, ValueError) as exc:
                self._stop_capture(exc)
                return False
            self._build, self._capture, self._captured = None, None, {}
            # The next save (at exit) adds to what was written now.
            self._no_capture = False
        log.info("warm cache written: %d modules", count)
        return True

    def _write(self, capture: BinaryIO, captured: dict[str, Entry]) -> int:
        index = dict(captured)
        # Never shrink: keep every still-valid entry of the cache on disk (which another
        # instance or an earlier save may have written) and of the one opened at start.
        current = map_file(self.path, self._key)
        sources = [m for m in (current, self._mapped) if isinstance(m, Mapped)]
        try:
            for mapped in sources:
                for name, e in mapped.entries.items():
                    if name in index or name in self._stale:
                        continue
                    blob = mapped.data[e.offset : e.offset + e.length]
                    if crc(blob) != e.crc:
                        if mapped is self._mapped:
                            self.reject(name, "checksum mismatch")
                        continue
                    index[name] = e._replace(offset=capture.tell())
                    capture.write(blob)
        finally:
            if isinstance(current, Mapped) and current is not self._mapped:
                current.data.close()
        cache_format.write_index(capture, self._key, index)
        if self.bad is not None:
            self._set_aside_mapped()
        assert self._build is not None
        # The lock is released only once the name leads to the cache.
        cache_temps.finish_build(self._build, self.path)
        return len(index)

    def _set_aside_mapped(self) -> None:
        """Set aside the file this run opened, if a bad entry was found and it is still there."""
        mapped = self._mapped
        if mapped is None or self.bad is None:
            return
        with contextlib.suppress(OSError):
            st = os.stat(self.path)
            if (st.st_dev, st.st_ino) == mapped.ident:
                aside.set_aside(self.path, f"bad entry {self.bad}", prune_copies=True)
        self.bad = None

    def discard(self) -> None:
        """Drop an unfinished capture (its temp file) without writing a cache."""
        with self._lock:
            self._drop_build()

    def _drop_build(self) -> None:
        build, self._build, self._capture, self._captured = self._build, None, None, {}
        if build is not None:
            cache_temps.drop(build)


_installed: WarmCache | None = None


def first_frame_needs_it() -> bool:
    """Whether the GUI thread's first-frame modules should come from the cache.

    Yes when frozen (the PYZ's zlib per module), and when this module's ``.pyc`` is missing
    or stale: then sloppy's other modules have none either and would be compiled at every
    start. No when it is current (as pip leaves an install): the ``.pyc`` files serve the
    first frame as fast, without the index's open. One read of the pyc header, no import.
    """
    return getattr(sys, "frozen", False) or not _compiled_here()


def _compiled_here() -> bool:
    cached, source = globals().get("__cached__"), globals().get("__file__")
    if not cached or not source:
        return False
    try:
        with open(cached, "rb") as fh:
            head = fh.read(16)
        st = os.stat(source)
    except OSError:
        return False
    if len(head) < 16 or head[:4] != importlib.util.MAGIC_NUMBER:
        return False
    if int.from_bytes(head[4:8], "little") != 0:  # hash-based: valid as written
        return True
    mtime, size = int.from_bytes(head[8:12], "little"), int.from_bytes(head[12:16], "little")
    return mtime == int(st.st_mtime) & 0xFFFFFFFF and size == st.st_size & 0xFFFFFFFF


def install(path: Path | None = None, *, deferred: bool | None = False) -> WarmCache | None:
    """Put the warm cache first on ``sys.meta_path`` (idempotent); None when disabled.

    Install it before the recorder: the recorder, given ``cache.execute``, goes in front.
    ``deferred``: opened by ``validate`` on the lane, not by the first import; None decides
    by ``first_frame_needs_it`` (asked only when a cache is made).
    """
    global _installed
    if not enabled():
        return None
    if _installed is None:
        if deferred is None:
            deferred = not first_frame_needs_it()
        _installed = WarmCache(path or paths.cache_dir() / FILENAME, deferred=deferred)
    if _installed not in sys.meta_path:
        sys.meta_path.insert(0, _installed)
    return _installed
