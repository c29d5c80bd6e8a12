"""Loaded at interpreter start (PYTHONPATH) by ``sloppy bench compare``: log every module load.

Works on any sloppy tree, old or new, because it measures from outside the app. One line per
load, appended when the module starts executing:
``epoch<TAB>thread<TAB>module<TAB>importer<TAB>code bytes``. The finder stays first on
``sys.meta_path`` even when the app inserts its own finders at 0 (the import recorder, the warm
cache), so loads those finders serve are logged too.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

_path = os.environ.get("SLOPPY_BENCH_IMPORT_LOG")
_SKIP = ("importlib", "sitecustomize", "_frozen_importlib")


def _importer() -> str:
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__") or "?"
        if not name.startswith(_SKIP):
            return name
        frame = frame.f_back
    return "?"


def _code_bytes(spec: Any) -> int:
    origin = getattr(spec, "origin", None)
    if not origin or not getattr(spec, "has_location", False):
        return 0
    try:
        return os.stat(origin).st_size
    except OSError:
        return 0


class _Logger:
    def __init__(self, loader: Any, line: str) -> None:
        self._loader, self._line = loader, line

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._loader, attr)

    def create_module(self, spec: Any) -> Any:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create else None

    def exec_module(self, module: Any) -> None:
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        module.__loader__ = self._loader
        thread = threading.current_thread().name
        os.write(_fd, f"{time.time():.6f}\t{thread}\t{self._line}\n".encode())
        self._loader.exec_module(module)


class _Finder:
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    line = f"{name}\t{_importer()}\t{_code_bytes(spec)}"
                    spec.loader = _Logger(spec.loader, line)  # type: ignore[assignment]
                return spec
        return None


class _PinnedFirst(list[Any]):
    """``sys.meta_path`` that keeps the logger first when others insert at the front."""

    def insert(self, index: Any, item: Any) -> None:
        if self and isinstance(self[0], _Finder) and index <= 0:
            index = 1
        super().insert(index, item)


if _path:
    _fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    sys.meta_path = _PinnedFirst([_Finder(), *sys.meta_path])
