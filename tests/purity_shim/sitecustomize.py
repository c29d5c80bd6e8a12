"""Loaded by the interpreter at start (PYTHONPATH): log every module load with its thread.

A meta-path finder sees every load, including ``importlib.import_module`` ones, which the
``import`` audit event misses. Lines are ``thread<TAB>module``, appended as they happen.
"""

import os
import sys
import threading

_fd = os.open(os.environ["SLOPPY_PURITY_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


class _Logger:
    def __init__(self, loader, name):
        self._loader, self._name = loader, name

    def __getattr__(self, attr):
        return getattr(self._loader, attr)

    def create_module(self, spec):
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create else None

    def exec_module(self, module):
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        module.__loader__ = self._loader
        line = f"{threading.current_thread().name}\t{self._name}\n"
        os.write(_fd, line.encode())
        self._loader.exec_module(module)


class _Finder:
    def find_spec(self, name, path, target=None):
        start = next((i for i, f in enumerate(sys.meta_path) if f is self), -1) + 1
        for finder in sys.meta_path[start:]:
            if not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Logger(spec.loader, name)  # type: ignore[assignment]
                return spec
        return None


sys.meta_path.insert(0, _Finder())
