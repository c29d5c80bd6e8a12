"""Throwaway modules for warm-engine tests: uniquely named files, optionally held at a gate."""

from __future__ import annotations

import itertools
import os
import textwrap
import threading
from pathlib import Path

_counter = itertools.count()


class ModuleFactory:
    """Writes uniquely named modules to a temp dir on sys.path; gates let tests hold imports.

    Each module records the thread that imported it in ``import_threads`` and, when made with
    ``gate=True``, waits (up to 30 s) for ``gates[name]`` before running its code.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.gates: dict[str, threading.Event] = {}
        self.import_threads: dict[str, str] = {}

    def make(self, code: str = "", *, gate: bool = False, prefix: str = "fake") -> str:
        name = f"sloppy_test_{prefix}_{os.getpid()}_{next(_counter)}"
        body = "import threading\nfrom tests.support import modules as _m\n"
        body += f"_m.FACTORY.import_threads[{name!r}] = threading.current_thread().name\n"
        if gate:
            self.gates[name] = threading.Event()
            body += f"assert _m.FACTORY.gates[{name!r}].wait(30)\n"
        body += textwrap.dedent(code)
        (self.root / f"{name}.py").write_text(body)
        return name


#: The factory of the running test (``new_factory`` sets it; the modules it writes read it).
FACTORY: ModuleFactory


def new_factory(root: Path) -> ModuleFactory:
    """A factory writing to ``root``, the one its modules report to from now on."""
    global FACTORY
    FACTORY = ModuleFactory(root)
    return FACTORY
