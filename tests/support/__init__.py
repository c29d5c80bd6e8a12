"""What the tests share besides fixtures: helpers imported as ``tests.support.<name>``.

Fixtures live in ``conftest.py`` files; test modules import nothing from each other or from a
``conftest``. ``ROOT`` is the checkout; ``module_from_file`` imports a file that sits in no
package (``packaging/``, ``scripts/``) without touching ``sys.path``.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
#: Reports and screenshots a person may want to look at after a run (CI keeps the folder).
ARTIFACTS = ROOT / "artifacts"


@functools.cache
def module_from_file(relative: str) -> ModuleType:
    """The module at ``ROOT / relative`` (loaded once per session, under its file stem)."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
