"""Desktop integration on Linux: a menu entry and icon for the current sloppy (tooling only).

Instead of asking users to write a ``.desktop`` file by hand, ``sloppy install-desktop-entry``
fills ``packaging/linux/sloppy.desktop.in`` (shipped in the bundle as ``share/``) with this
installation's executable and icon, and writes both under ``$XDG_DATA_HOME`` (default
``~/.local/share``): ``applications/sloppy.desktop`` and the hicolor 256 px icon.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from sloppy.store import files, paths

TEMPLATE = "sloppy.desktop.in"
ICON = Path(__file__).resolve().parent / "assets" / "app_settings" / "icon.png"
CHECKOUT = Path(__file__).resolve().parents[2]


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def targets(base: Path | None = None) -> tuple[Path, Path]:
    """Where the entry and its icon go."""
    base = base or data_home()
    return (
        base / "applications" / "sloppy.desktop",
        base / "icons" / "hicolor" / "256x256" / "apps" / "sloppy.png",
    )


def template() -> Path:
    """The template: in the bundle (``share/``), a checkout (``packaging/linux``) or a wheel."""
    candidates = []
    bundled = paths.BUNDLE.running(f"{paths.BUNDLE.share}/{TEMPLATE}")
    if getattr(sys, "frozen", False) and bundled is not None:
        candidates.append(bundled)
    candidates.append(CHECKOUT / "packaging" / "linux" / TEMPLATE)
    candidates += [Path(p) / "sloppy_build" / "packaging" / "linux" / TEMPLATE for p in sys.path]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"{TEMPLATE} not found (looked in {candidates[0].parent})")


def executable() -> str:
    """The command that starts this sloppy: the bundle's binary, or the installed script."""
    if getattr(sys, "frozen", False):
        return sys.executable
    beside = Path(sys.executable).with_name("sloppy")
    return str(beside) if beside.is_file() else shutil.which("sloppy") or "sloppy"


def _quote(arg: str) -> str:
    """Quote an Exec argument as the Desktop Entry spec asks (reserved characters escaped)."""
    if not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def render(exec_path: str, icon: Path) -> str:
    """The filled-in entry (``%`` doubled: the spec reserves it for field codes)."""
    exe = _quote(exec_path).replace("%", "%%")
    text = template().read_text(encoding="utf-8")
    return (
        text.replace("@EXEC@", exe)
        .replace("@TRYEXEC@", exec_path.replace("%", "%%"))
        .replace("@ICON@", str(icon))
    )


def install(base: Path | None = None, *, exec_path: str | None = None) -> tuple[Path, Path]:
    """Write the entry and its icon (atomically); returns their paths."""
    entry, icon = targets(base)
    files.write_atomic(icon, ICON.read_bytes(), mode=0o644)
    body = render(exec_path or executable(), icon).encode("utf-8")
    files.write_atomic(entry, body, mode=0o644)
    return entry, icon


def uninstall(base: Path | None = None) -> list[Path]:
    """Remove what ``install`` wrote; returns the files removed."""
    removed = []
    for path in targets(base):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed
