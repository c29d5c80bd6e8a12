"""Damage kinds for files sloppy wrote earlier: the shared vocabulary of the damage-matrix tests.

Instead of hand-writing ``path.write_bytes(b"garbage")`` in each test, call
``apply_damage(path, kind)`` for each kind in ``DAMAGE_KINDS``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

HUGE_BYTES = 2 * 1024**3

DAMAGE_KINDS = (
    "truncated",  # the first half of what was there
    "empty",
    "flipped",  # one byte in the middle inverted
    "random",  # 4 KiB of seeded random bytes
    "foreign",  # well-formed JSON of another version / shape
    "nested",  # JSON nested far past any recursion limit
    "huge",  # a sparse 2 GiB file
    "directory",
    "dev_zero",  # a symlink to /dev/zero: endless bytes
    "fifo",  # a named pipe: a blocking read
)

#: A layout file as hello_imgui writes it: the undamaged original of imgui's ini.
LAYOUT_INI = """;;; !!! This configuration is handled by HelloImGui and stores several Ini Files
           ;;;<<<INI_NAME>>>;;;

;;;<<<AppWindow>>>;;;
[AppWindow]
DpiWindowSizeFactor=1
WindowPosition=0,0
WindowSize=1200,800
;;;<<<ImGui_655921752_Default>>>;;;
[Window][Discussion]
Pos=0,21
Size=838,750
Collapsed=0
DockId=0x00000001,0

[Docking][Data]
DockSpace   ID=0xAFC85805 Window=0x079D3A04 Pos=0,21 Size=1200,750 Split=X
  DockNode  ID=0x00000001 Parent=0xAFC85805 SizeRef=838,750 CentralNode=1 Selected=0x439C0E8A

;;;<<<Layout_655921752_Default>>>;;;
[Visibility]
646075187_Discussion=true
;;;<<<HelloImGui_Misc>>>;;;
[Layout]
Name=Default
;;;<<<SplitIds>>>;;;
{"gImGuiSplitIDs":{"MainDockSpace":2949142533,"SideSpace":2}}
"""


def apply_damage(path: Path, kind: str) -> None:
    """Replace ``path`` (which may or may not exist) with the damage named ``kind``.

    A damaged regular file keeps the original's permission bits, as a torn write would.
    """
    was_file = path.is_file() and not path.is_symlink()
    original = path.read_bytes() if was_file else b'{"schema": 1, "x": "y"}'
    mode = path.stat().st_mode & 0o777 if was_file else None
    _remove(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "truncated":
        path.write_bytes(original[: len(original) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "flipped":
        data = bytearray(original or b"\0")
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif kind == "random":
        path.write_bytes(random.Random(1234).randbytes(4096))
    elif kind == "foreign":
        path.write_text(json.dumps({"schema": 999, "written_by": "sloppy 99"}))
    elif kind == "nested":
        depth = 200_000
        path.write_text("[" * depth + "]" * depth)
    elif kind == "huge":
        with path.open("wb") as fh:
            fh.truncate(HUGE_BYTES)
    elif kind == "directory":
        path.mkdir()
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        raise ValueError(f"unknown damage kind {kind!r}")
    if mode is not None and path.is_file() and not path.is_symlink():
        path.chmod(mode)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
