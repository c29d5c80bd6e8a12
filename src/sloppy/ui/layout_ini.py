"""imgui's layout ini, checked before hello_imgui reads it (imgui trusts the file whole)."""

from __future__ import annotations

from pathlib import Path

from sloppy.store import aside, files

LAYOUT_FILE = "imgui_layout.ini"
#: A layout ini over this is not imgui's (a few KiB per window): set aside, default layout.
LAYOUT_MAX_BYTES = 1024 * 1024
LAYOUT_MAX_LINE = 4096


def check_layout(path: Path) -> None:
    """Set aside an imgui layout ini that imgui cannot be trusted with (before it reads it).

    imgui reads the whole file into memory: a directory ends the app, /dev/zero exhausts
    memory, a 2 GB file hangs. A readable one must also look like hello_imgui's ini file.
    """
    try:
        text = files.read_text(path, limit=LAYOUT_MAX_BYTES)
    except files.Unreadable as exc:
        aside.set_aside(path, str(exc))
        return
    if text is not None and not _looks_like_ini(text):
        aside.set_aside(path, "not an ini file")


def _looks_like_ini(text: str) -> bool:
    """Sections, ``key=value`` lines, comments; JSON only in hello_imgui's SplitIds part."""
    json_allowed = False
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) > LAYOUT_MAX_LINE:
            return False
        if line.startswith(";;;<<<"):  # hello_imgui's marker between its ini parts
            json_allowed = line.startswith(";;;<<<SplitIds>>>")
        elif line and not (
            line.startswith(("[", ";", "#")) or "=" in line or (json_allowed and line[0] == "{")
        ):
            return False
    return True
