"""The architecture holds: the layering contracts, and one name per module."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

#: Where our own modules live, by top-level package.
PACKAGE_ROOTS = {
    "sloppy": ROOT / "src",
    "sloppy_launcher": ROOT / "launcher",
    "sloppy_build": ROOT / "build",
    "sloppy_testkit": ROOT / "testkit",
    "tests": ROOT,
}
CODE_DIRS = ("src", "launcher", "build", "scripts", "tests", "testkit", "packaging")


def _is_module(dotted: str) -> bool:
    base = PACKAGE_ROOTS.get(dotted.split(".", maxsplit=1)[0])
    if base is None:
        return False
    path = base.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def module_aliases(tree: ast.AST) -> list[tuple[int, str, str]]:
    """``(line, module, alias)`` for each of our modules imported under another name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname and _is_module(a.name) and a.asname != a.name.rsplit(".", 1)[-1]:
                    found.append((node.lineno, a.name, a.asname))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                dotted = f"{node.module}.{a.name}"
                if a.asname and a.asname != a.name and _is_module(dotted):
                    found.append((node.lineno, dotted, a.asname))
    return found


def test_every_module_is_imported_under_its_own_name() -> None:
    """``from sloppy.store import files as storage`` gives one module two names: refused."""
    offences = []
    for top in CODE_DIRS:
        for path in sorted((ROOT / top).rglob("*.py")):
            for line, module, alias in module_aliases(ast.parse(path.read_text())):
                offences.append(f"{path.relative_to(ROOT)}:{line}: {module} as {alias}")
    assert offences == []


def test_the_alias_check_sees_an_alias() -> None:
    tree = ast.parse(
        "from sloppy.store import files as storage\n"
        "import sloppy.warm.engine as warmup\n"
        "from sloppy.ui.theme import DEFAULT as DEFAULT_THEME\n"  # a name, not a module: fine
        "from sloppy.warm import engine\n"
    )
    assert module_aliases(tree) == [
        (1, "sloppy.store.files", "storage"),
        (2, "sloppy.warm.engine", "warmup"),
    ]


def test_the_layers_hold() -> None:
    """import-linter's contracts in pyproject.toml: layers, no cycles, no tooling in the app."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is a dev dependency"
    proc = subprocess.run(
        [exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in proc.stdout
