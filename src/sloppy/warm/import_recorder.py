"""Record every module load in this process: name, thread, start, duration, source.

Instead of ``python -X importtime`` (stderr text, startup only) or an ``import`` audit hook
(which ``importlib.import_module`` never raises), install ``ImportRecorder`` first on
``sys.meta_path``: every load, whoever asks for it, passes through a finder.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from sloppy.warm.cache import WarmCache

#: Runs a module in place of ``loader.exec_module`` (the warm cache captures code this way).
Execute = Callable[[Any, ModuleType], None]


class ModuleLoad(NamedTuple):
    """One module load; ``start`` is seconds since the recorder started."""

    name: str
    thread: str
    start: float
    duration: float
    source: str


def classify_loader(loader: object) -> str:
    """``warm-cache``, ``archive`` (PyInstaller's PYZ), ``builtin`` or ``filesystem``."""
    cls = type(loader)
    name = cls.__name__
    if getattr(cls, "SLOPPY_SOURCE", None):
        return str(cls.SLOPPY_SOURCE)  # type: ignore[attr-defined]
    if name.startswith("PyiFrozen") or cls.__module__.startswith("pyimod"):
        return "archive"
    if name in ("BuiltinImporter", "FrozenImporter"):
        return "builtin"
    return "filesystem"


class _TimingLoader:
    """Wraps a loader for one load; puts the real loader back before the module runs."""

    def __init__(self, loader: Any, recorder: ImportRecorder, name: str) -> None:
        self._loader = loader
        self._recorder = recorder
        self._name = name
        self._t0: float | None = None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._loader, attr)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        self._recorder.before_load(self._name)
        self._t0 = time.perf_counter()
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        # Restore the real loader first so the module, importlib.resources and tracebacks
        # never see the wrapper.
        spec = module.__spec__
        if spec is not None:
            spec.loader = self._loader
        module.__loader__ = self._loader
        t0 = self._t0 if self._t0 is not None else time.perf_counter()
        try:
            execute = self._recorder.execute
            if execute is None:
                self._loader.exec_module(module)
            else:
                execute(self._loader, module)
        finally:
            self._recorder.record(
                self._name, t0, time.perf_counter(), classify_loader(self._loader)
            )


#: Frames that are import machinery, not the module asking for the import.
_MACHINERY = ("importlib", "_frozen_importlib", "pyimod", __name__, "sloppy.warm.cache")


def _importer() -> str:
    """The nearest calling module that is not import machinery ("?" if none)."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__") or "?"
        if not name.startswith(_MACHINERY):
            return str(name)
        frame = frame.f_back
    return "?"


class LoadGate:
    """Called before each recorded load, on the loading thread; the warm lane attaches to it.

    Instead of the engine patching a callable onto the recorder, the recorder owns its gate
    and the engine, given the recorder, attaches its check for as long as its lane runs.
    """

    def __init__(self) -> None:
        self._check: Callable[[str], None] | None = None

    def __call__(self, name: str) -> None:
        check = self._check
        if check is not None:
            check(name)

    def attach(self, check: Callable[[str], None]) -> None:
        self._check = check

    def detach(self, check: Callable[[str], None]) -> None:
        if self._check == check:
            self._check = None


class ImportRecorder:
    """A pass-through meta-path finder that times every load found by the finders after it.

    Not an ``importlib.abc.MetaPathFinder`` subclass: the import system only calls
    ``find_spec``, and ``importlib.abc`` costs 9 ms on the path to the first frame.
    """

    def __init__(self, *, execute: Execute | None = None) -> None:
        self._t0 = time.perf_counter()
        self.loads: list[ModuleLoad] = []
        self._sources: dict[str, str] = {}
        #: Called before each load (on the loading thread); the warm engine paces itself here.
        self.gate = LoadGate()
        self.execute = execute
        #: module -> the module whose code imported it (the startup report's import chains)
        self.importers: dict[str, str] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        # Only the finders after this one: two pass-through finders must not call each other.
        path_list = sys.meta_path
        start = next((i for i, f in enumerate(path_list) if f is self), -1) + 1
        for finder in path_list[start:]:
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec: ModuleSpec | None = find(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _TimingLoader(spec.loader, self, fullname)  # type: ignore[assignment]
                self.importers.setdefault(fullname, _importer())
            return spec
        return None

    def before_load(self, name: str) -> None:
        self.gate(name)

    def record(self, name: str, t0: float, t1: float, source: str) -> None:
        thread = threading.current_thread().name
        self.loads.append(ModuleLoad(name, thread, t0 - self._t0, t1 - t0, source))
        self._sources[name] = source

    def source_of(self, name: str) -> str:
        """Where ``name`` was loaded from, or ``filesystem`` if it loaded before the recorder."""
        return self._sources.get(name, "filesystem")


_installed: ImportRecorder | None = None


def install(*, execute: Execute | None = None) -> ImportRecorder:
    """Put the process-wide recorder first on ``sys.meta_path`` (idempotent) and return it.

    ``execute``: the warm cache's, when one is installed (install the cache first).
    """
    global _installed
    if _installed is None:
        _installed = ImportRecorder(execute=execute)
    if _installed not in sys.meta_path:
        sys.meta_path.insert(0, _installed)
    return _installed


def current() -> ImportRecorder | None:
    """The installed recorder, if any."""
    return _installed


class Finders(NamedTuple):
    """The import machinery installed at boot, handed to the runtime (nothing looks it up)."""

    recorder: ImportRecorder | None = None
    cache: WarmCache | None = None
