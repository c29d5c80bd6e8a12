"""The import graph of sloppy's source, read with ``ast`` (nothing is imported).

Shared by ``audit_main_thread_imports.py`` and ``audit_gui2_imports.py``. Each import is
classified by where it runs: ``module`` (at import time: module body, class bodies, module-
level if/try), ``function`` (only when the function runs), ``type_checking`` (never), plus
``warmed`` edges: ``_require_warmed("x")`` calls, which reach a module through the warm engine.
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # importing module
    target: str  # imported module (resolved, dotted)
    file: Path
    line: int
    kind: str  # module | function | type_checking | warmed


class Tree:
    """A project checkout: ``src/<packages>`` and ``launcher/<entry package>``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bases = [root / "src", root / "launcher"]

    def file_of(self, module: str) -> Path | None:
        rel = Path(*module.split("."))
        for base in self.bases:
            for cand in (base / rel.with_suffix(".py"), base / rel / "__init__.py"):
                if cand.is_file():
                    return cand
        return None

    def is_local(self, module: str) -> bool:
        return self.file_of(module) is not None

    def module_of(self, path: Path) -> str:
        for base in self.bases:
            try:
                rel = path.relative_to(base)
            except ValueError:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts:
                return ".".join(parts)
        raise ValueError(f"{path} is outside the tree")

    def modules(self) -> Iterator[str]:
        for path in sorted((self.root / "src").rglob("*.py")):
            yield self.module_of(path)
        for path in sorted((self.root / "launcher").rglob("*.py")):
            yield self.module_of(path)

    def edges(self, module: str) -> list[Edge]:
        path = self.file_of(module)
        if path is None:
            return []
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_pkg = path.name == "__init__.py"
        out: list[Edge] = []
        _Visitor(self, module, is_pkg, path, out).visit(tree)
        return out


class _Visitor(ast.NodeVisitor):
    def __init__(self, tree: Tree, module: str, is_pkg: bool, path: Path, out: list[Edge]):
        self.tree, self.module, self.is_pkg, self.path, self.out = tree, module, is_pkg, path, out
        self.context = "module"
        self.constants: dict[str, str] = {}  # module-level NAME = "literal"

    def visit_Assign(self, node: ast.Assign) -> None:
        if self.context == "module" and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    self.constants[target.id] = node.value.value
        self.generic_visit(node)

    def _add(self, target: str, line: int, kind: str | None = None) -> None:
        self.out.append(Edge(self.module, target, self.path, line, kind or self.context))

    def _base(self, level: int, name: str | None) -> str:
        if level == 0:
            return name or ""
        pkg = self.module.split(".") if self.is_pkg else self.module.split(".")[:-1]
        pkg = pkg[: len(pkg) - (level - 1)] if level > 1 else pkg
        return ".".join([*pkg, name] if name else pkg)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._base(node.level, node.module)
        self._add(base, node.lineno)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            # ``from pkg import sub`` imports the submodule when one exists (local or heavy).
            if self.tree.is_local(sub) or is_module(sub):
                self._add(sub, node.lineno)

    def _nested(self, node: ast.AST, context: str) -> None:
        saved, self.context = self.context, context
        self.generic_visit(node)
        self.context = saved

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._nested(node, "function" if self.context == "module" else self.context)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]
    visit_Lambda = visit_FunctionDef  # type: ignore[assignment]

    def visit_If(self, node: ast.If) -> None:
        test = ast.unparse(node.test)
        if test in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            saved, self.context = self.context, "type_checking"
            for child in node.body:
                self.visit(child)
            self.context = saved
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = ast.unparse(node.func)
        arg = node.args[0] if node.args else None
        literal = None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            literal = arg.value
        elif isinstance(arg, ast.Name):
            literal = self.constants.get(arg.id)
        if literal is not None and name.endswith("_require_warmed"):
            self._add(literal, node.lineno, "warmed")
        elif literal is not None and name in ("importlib.import_module", "import_module"):
            self._add(literal, node.lineno, "function" if self.context != "module" else "module")
        self.generic_visit(node)


@functools.cache
def _search_path(package: str) -> tuple[str, ...] | None:
    """Where ``package``'s submodules live, found on disk without running its ``__init__``."""
    head, _, tail = package.rpartition(".")
    path = None
    if head:
        path = _search_path(head)
        if path is None:
            return None
    spec = importlib.machinery.PathFinder.find_spec(tail, list(path) if path else None)
    locations = spec.submodule_search_locations if spec is not None else None
    return tuple(locations) if locations is not None else None


def is_module(name: str) -> bool:
    """True if ``name`` is an installed module (``from pkg import name`` imports it)."""
    head, _, tail = name.rpartition(".")
    path = _search_path(head) if head else None
    if head and path is None:
        return False
    return importlib.machinery.PathFinder.find_spec(tail, list(path) if path else None) is not None


def parents(module: str) -> list[str]:
    """``a.b.c`` -> ``[a, a.b, a.b.c]``: importing a module runs every parent ``__init__``."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def first_frame(tree: Tree, roots: Iterable[str], dispatch: Iterable[str] = ()) -> dict[str, Edge]:
    """Every module reached at import time from ``roots``, with the edge that first reached it.

    In ``dispatch`` modules (the launcher's hand-over stage) function-level imports count too.
    Local modules are followed; third-party ones are leaves.
    """
    dispatch = set(dispatch)
    reached: dict[str, Edge] = {}
    queue: deque[str] = deque()
    for root in roots:
        for mod in parents(root):
            if mod not in reached:
                path = tree.file_of(mod) or Path(mod)
                reached[mod] = Edge("<root>", mod, path, 0, "module")
                queue.append(mod)
    while queue:
        mod = queue.popleft()
        for edge in tree.edges(mod):
            runs_now = edge.kind == "module" or (edge.kind == "function" and mod in dispatch)
            if not runs_now:
                continue
            for target in parents(edge.target):
                if target in reached:
                    continue
                reached[target] = Edge(edge.source, target, edge.file, edge.line, "module")
                if tree.is_local(target):
                    queue.append(target)
    return reached


def top_level(module: str) -> str:
    return module.split(".", 1)[0]


def is_stdlib(module: str) -> bool:
    return top_level(module) in sys.stdlib_module_names
