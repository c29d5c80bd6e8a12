"""One start of the warm engine in a fresh process, the way the launcher wires it.

Instead of a full ``sloppy --headless`` start (seconds of SDK imports), ``start(mods, ...)``
runs the launcher's finders (recorder, warm cache) and a real ``AppController`` warming a
few throwaway modules, then a clean shutdown; it returns what happened and the log lines.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.interpreter import run_code

MODULES = {
    "wcpkg/__init__.py": "from . import leaf\nVALUE = 'pkg'\n",
    "wcpkg/leaf.py": "def boom():\n    raise ValueError('from leaf')\n",
    "wcmod_a.py": (
        "DEFAULT_MODEL = 'model-aaaa-default'\n"
        "VALUE = DEFAULT_MODEL\n"
        "TABLE = {f'k{i}': i * i for i in range(50)}\n"
        "def describe(x):\n    return f'{x}: {VALUE}'\n"
    ),
    "wcmod_b.py": "VALUE = 'b'\n"
    + "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(60)),
    "wcmod_late.py": "VALUE = 'late'\n",
}
WARM = ["wcpkg", "wcmod_a", "wcmod_b"]

CHILD = textwrap.dedent("""
    import importlib, json, logging, sys, threading
    logging.basicConfig(level=logging.INFO, format="LOG %(levelname)s %(name)s: %(message)s")
    sys.path.append({mods!r})  # last, so PYTHONPATH can shadow these modules
    from sloppy.warm import import_recorder, cache
    wc = cache.install()
    rec = import_recorder.install(execute=wc.execute if wc is not None else None)
    from sloppy.app.controller import AppController
    c = AppController(warm_modules={warm!r}, finders=import_recorder.Finders(rec, wc))
    warm = c.wait_for_warmup(30)
    c._lane_future.result(30)  # the lane has also run the warm-done saves
    def late():
        for name in {after!r}:
            importlib.import_module(name)
    t = threading.Thread(target=late); t.start(); t.join()
    status = c.warmup_status()
    names = {warm!r} + {after!r}
    values = {{n: getattr(sys.modules.get(n), "VALUE", None) for n in names}}
    c.shutdown()
    print(json.dumps({{
        "warm": warm,
        "failed": status["failed"],
        "completed": status["completed"],
        "sources": {{n: rec.source_of(n) for n in names}},
        "values": values,
        "status": wc.status if wc is not None else None,
    }}))
""")


@dataclass
class Start:
    out: dict[str, Any]
    log: list[str]
    stderr: str

    def warnings(self, about: str = "") -> list[str]:
        """WARNING and worse log lines, those mentioning ``about`` if given."""
        serious = ("LOG WARNING", "LOG ERROR", "LOG CRITICAL")
        return [line for line in self.log if line.startswith(serious) and about in line]


def write_modules(root: Path) -> Path:
    for rel, text in MODULES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def start(
    mods: Path,
    *,
    warm: Sequence[str] = tuple(WARM),
    after: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Start:
    """One engine start in a fresh interpreter; asserts it exits 0."""
    code = CHILD.format(mods=str(mods), warm=list(warm), after=list(after))
    proc = run_code(code, env=env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    return Start(
        json.loads(proc.stdout.strip().splitlines()[-1]),
        [line for line in lines if line.startswith("LOG ")],
        proc.stderr,
    )
