"""The lean imgui_bundle facade serves every name sloppy imports from imgui_bundle."""

from __future__ import annotations

import ast
import json

from tests.support import ROOT
from tests.support.interpreter import run_python


def imported_names() -> set[str]:
    """Every ``from imgui_bundle import X`` name in sloppy's sources."""
    names = set()
    for path in (ROOT / "src" / "sloppy").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "imgui_bundle":
                names |= {a.name for a in node.names}
    return names


def test_every_name_sloppy_imports_resolves_without_the_facade() -> None:
    names = sorted(imported_names())
    assert {"imgui", "hello_imgui", "imgui_md"} <= set(names)
    out = run_python(
        "import json, sys\n"
        "from sloppy.ui import imgui_lean\n"
        "assert imgui_lean.install()\n"
        f"names = {names!r}\n"
        "mods = {n: type(getattr(__import__('imgui_bundle', fromlist=[n]), n)).__name__"
        " for n in names}\n"
        "print(json.dumps({'mods': mods, 'asyncio': 'asyncio' in sys.modules}))\n"
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert set(result["mods"]) == set(names)
    assert not result["asyncio"]  # the facade (which imports asyncio) never ran
