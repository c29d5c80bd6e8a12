"""The bundle's size on disk by component, and the budget ``sloppy verify`` enforces.

Size counts regular files only; symlinks are not followed (PyInstaller links some
libraries into place, and an archive stores a link, not a second copy).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sloppy.store.paths import BUNDLE

#: The most the onedir bundle may take on disk, in MiB (2**20 bytes).
BUDGET_MIB = 130
MIB = 2**20


def regular_files(bundle: Path) -> list[Path]:
    return sorted(p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())


def total_bytes(bundle: Path) -> int:
    return sum(p.stat().st_size for p in regular_files(bundle))


#: Files at the top of ``_internal``: (name prefix or suffix test, component), first match wins.
_TOP_FILES: tuple[tuple[str, str], ...] = (
    ("libpython", "libpython"),
    ("python3", "libpython"),  # Windows: python311.dll
    ("base_library.zip", "stdlib (base_library.zip)"),
)


def component(rel: Path) -> str:
    """The component a bundle-relative path belongs to (a table row)."""
    parts = rel.parts
    if len(parts) == 1:
        return "executable (+ pure-Python archive)" if parts[0].startswith("sloppy") else parts[0]
    inside = parts[0] == BUNDLE.contents
    top = parts[1] if inside else parts[0]
    if inside and len(parts) == 2:
        for prefix, name in _TOP_FILES:
            if top.startswith(prefix):
                return name
        return "shared libraries (system)"
    if top.startswith("python3") or top in ("lib-dynload", "DLLs"):
        return "stdlib extension modules"
    if top.endswith(".dist-info"):
        return "package metadata (dist-info)"
    return top.removesuffix(".libs")


def table(bundle: Path) -> list[tuple[str, int]]:
    """``(component, bytes)`` rows, largest first."""
    sizes: Counter[str] = Counter()
    for path in regular_files(bundle):
        sizes[component(path.relative_to(bundle))] += path.stat().st_size
    return sizes.most_common()


def format_table(rows: list[tuple[str, int]], *, top: int = 15) -> str:
    total = sum(size for _, size in rows)
    lines = [f"{'component':<40} {'MiB':>8}"]
    lines += [f"{name:<40} {size / MIB:8.2f}" for name, size in rows[:top]]
    rest = rows[top:]
    if rest:
        lines.append(f"{f'({len(rest)} more)':<40} {sum(s for _, s in rest) / MIB:8.2f}")
    lines.append(f"{'total (budget ' + str(BUDGET_MIB) + ' MiB)':<40} {total / MIB:8.2f}")
    return "\n".join(lines)


def check_budget(bundle: Path, budget_mib: float = BUDGET_MIB) -> str:
    """A one-line verdict; raises ``RuntimeError`` when the bundle is over budget."""
    size = total_bytes(bundle)
    if size > budget_mib * MIB:
        raise RuntimeError(
            f"bundle is {size / MIB:.1f} MiB, over its {budget_mib} MiB budget "
            "(sloppy_build/sizes.py)\n" + format_table(table(bundle))
        )
    return f"ok, {size / MIB:.1f} MiB of {budget_mib} MiB"
