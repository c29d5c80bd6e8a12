"""The architecture holds: the layering contracts, one name per module, tests that stand alone."""

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
#: Where nothing may edit ``sys.path`` (scripts run from the checkout and may).
NO_SYS_PATH_DIRS = ("src", "launcher", "build", "tests", "testkit")
_PATH_MUTATORS = {"insert", "append", "extend", "remove", "pop", "clear", "__setitem__"}


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


def _is_sys_path(node: ast.AST) -> bool:
    return ast.unparse(node) == "sys.path"


def sys_path_edits(tree: ast.AST) -> list[int]:
    """Lines that change ``sys.path`` in place or rebind it (``monkeypatch``'s are undone)."""
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _PATH_MUTATORS:
                targets = [func.value]
            elif ast.unparse(func) == "setattr" and [ast.unparse(a) for a in node.args[:2]] == [
                "sys",
                "'path'",
            ]:
                lines.append(node.lineno)
        for target in targets:
            if _is_sys_path(target) or (
                isinstance(target, ast.Subscript) and _is_sys_path(target.value)
            ):
                lines.append(target.lineno)
    return sorted(set(lines))


def imported_test_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """``(line, module)`` for each test module or ``conftest`` that ``tree`` imports.

    ``package`` is the importing module's package, for relative imports.
    """

    def is_test_module(dotted: str) -> bool:
        parts = dotted.split(".")
        return parts[0] == "tests" and (parts[-1].startswith("test_") or parts[-1] == "conftest")

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        found += [(node.lineno, n) for n in names if is_test_module(n)]
    return found


def _python_files(*tops: str) -> list[Path]:
    return [path for top in tops for path in sorted((ROOT / top).rglob("*.py"))]


def test_no_test_module_is_imported_by_another() -> None:
    """Shared code lives in ``tests/support`` and fixtures in ``conftest.py`` files."""
    offences = []
    for path in _python_files(*CODE_DIRS):
        package = ".".join(path.relative_to(ROOT).parent.parts)
        for line, module in imported_test_modules(ast.parse(path.read_text()), package):
            offences.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert offences == []


def test_the_test_import_check_sees_one() -> None:
    tree = ast.parse(
        "from tests.ui.test_gui import poll\n"
        "import tests.conftest\n"
        "from .test_gui import KEY\n"
        "from tests.support.gui import poll\n"  # a helper: fine
    )
    assert imported_test_modules(tree, "tests.ui") == [
        (1, "tests.ui.test_gui"),
        (2, "tests.conftest"),
        (3, "tests.ui.test_gui"),
    ]


def test_nothing_edits_sys_path() -> None:
    """Everything imports as installed (the editable install); no file patches the path."""
    offences = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files(*NO_SYS_PATH_DIRS)
        for line in sys_path_edits(ast.parse(path.read_text()))
    ]
    assert offences == []


def test_the_sys_path_check_sees_edits() -> None:
    tree = ast.parse(
        "import sys\n"
        "sys.path.insert(0, 'x')\n"
        "sys.path[:0] = ['y']\n"
        "sys.path = ['z']\n"
        "sys.path += ['w']\n"
        "setattr(sys, 'path', [])\n"
        "monkeypatch.setattr(sys, 'path', [])\n"  # undone after the test: fine
        "code = 'sys.path.append(1)'\n"  # a child's code, as text: fine
    )
    assert sys_path_edits(tree) == [2, 3, 4, 5, 6]


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute import in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_what_ships_never_imports_the_test_helpers() -> None:
    """sloppy_testkit and tests stay out of the wheel and the bundle: nothing shipped needs them."""
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in _python_files("src", "launcher", "build")
        for line, name in imported_names(ast.parse(path.read_text()))
        if name.split(".", maxsplit=1)[0] in ("sloppy_testkit", "tests")
    ]
    assert offences == []


def test_every_module_is_imported_under_its_own_name() -> None:
    """``from sloppy.store import files as storage`` gives one module two names: refused."""
    offences = []
    for path in _python_files(*CODE_DIRS):
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
