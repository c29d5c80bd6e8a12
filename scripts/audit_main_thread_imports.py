"""Static gate: nothing heavy on the path to the first frame, no heavy import in a function.

    python scripts/audit_main_thread_imports.py [--root DIR]

1. Walks the imports that run at import time from the launcher entry (module bodies, class
   bodies, parent package ``__init__`` files; not function bodies or ``if TYPE_CHECKING:``;
   the launcher's hand-over stage counts in full) and checks each module against the allowlist:
   the standard library, ``FIRST_FRAME_PACKAGES`` and sloppy's modules that are not warmed.
2. Anywhere in ``src/``, flags an import of a warm-listed or denylisted module (keyring and its
   backends, pydantic...) inside a function body (warm it and use ``_require_warmed``).

Prints ``file:line: module`` per violation and exits 1; exits 0 with a one-line summary.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from import_graph import Edge, Tree, first_frame, is_stdlib, top_level  # noqa: E402

from sloppy.warm.warmlist import FIRST_FRAME_PACKAGES, MAIN_THREAD_DENYLIST  # noqa: E402

ENTRY = "sloppy_launcher.sloppy_main"
DISPATCH = ("sloppy_launcher.boot3_app",)
#: The warm list's modules plus what they pull in that must stay off the GUI thread (keyring...).
DENIED = MAIN_THREAD_DENYLIST


def is_warmed(module: str) -> bool:
    return any(module == w or module.startswith(w + ".") for w in DENIED)


def first_frame_violations(tree: Tree) -> tuple[list[Edge], int]:
    reached = first_frame(tree, [ENTRY], DISPATCH)
    bad = []
    for module, edge in reached.items():
        if is_warmed(module):
            bad.append(edge)
        elif tree.is_local(module) or is_stdlib(module):
            continue
        elif top_level(module) not in FIRST_FRAME_PACKAGES:
            bad.append(edge)
    return bad, len(reached)


def lazy_import_violations(tree: Tree) -> list[Edge]:
    bad = []
    for module in tree.modules():
        if module.startswith("sloppy_launcher"):
            continue
        bad += [e for e in tree.edges(module) if e.kind == "function" and is_warmed(e.target)]
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--root", type=Path, default=ROOT, help="project checkout to audit")
    args = ap.parse_args(argv)
    tree = Tree(args.root.resolve())
    on_path, reached = first_frame_violations(tree)
    lazy = lazy_import_violations(tree)
    for edge in on_path:
        print(f"{edge.file.relative_to(tree.root)}:{edge.line}: {edge.target}")
    for edge in lazy:
        print(
            f"{edge.file.relative_to(tree.root)}:{edge.line}: {edge.target} "
            "(imported inside a function: warm it and use _require_warmed)"
        )
    if on_path or lazy:
        print(
            f"audit: {len(on_path)} heavy modules on the first-frame path, "
            f"{len(lazy)} heavy imports inside functions"
        )
        return 1
    print(
        f"audit: clean: {reached} modules on the first-frame path, none heavy; "
        "no heavy import inside a function"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
