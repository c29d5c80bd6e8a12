"""The app icon (drawn from code: PNG, ICO, ICNS) and the Linux desktop entry."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from sloppy import desktop
from tests.support import module_from_file
from tests.support.live import SLOPPY

#: packaging/icons is PyInstaller's folder, not a package.
draw_icon = module_from_file("packaging/icons/draw_icon.py")


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGBA rows of a PNG written by draw_icon (filter 0, one IDAT)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    assert (depth, color) == (8, 6)  # 8-bit RGBA
    pos, idat = 8, b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))


def test_the_committed_window_icon_is_the_drawing() -> None:
    """src/sloppy/assets/app_settings/icon.png comes from draw_icon.py: redraw, compare."""
    w, h, pixels = decode_png(draw_icon.WINDOW_ICON.read_bytes())
    assert (w, h) == (256, 256)
    fresh = draw_icon.draw(256)
    assert max(abs(a - b) for a, b in zip(pixels, fresh, strict=True)) <= 2


def test_the_icon_has_a_transparent_corner_and_a_white_bubble() -> None:
    w, _h, rgba = decode_png(draw_icon.png(64))

    def px(x: int, y: int) -> tuple[int, ...]:
        i = (y * w + x) * 4
        return tuple(rgba[i : i + 4])

    assert px(0, 0)[3] == 0  # rounded corner
    assert min(px(32, 18)[:3]) > 200 and px(32, 18)[3] == 255  # the bubble
    assert px(4, 60)[2] > px(4, 60)[0]  # blue tile


def test_ico_holds_every_size_as_png() -> None:
    data = draw_icon.ico()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(draw_icon.ICO_SIZES))
    for i, size in enumerate(draw_icon.ICO_SIZES):
        w, h, _c, _r, planes, bpp, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i : 22 + 16 * i]
        )
        assert (w or 256, h or 256, planes, bpp) == (size, size, 1, 32)
        assert decode_png(data[offset : offset + length])[:2] == (size, size)


def test_icns_entries_are_pngs_of_the_declared_size() -> None:
    data = draw_icon.icns()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    pos, seen = 8, []
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        size = dict(draw_icon.ICNS_TYPES)[kind]
        assert decode_png(data[pos + 8 : pos + length])[:2] == (size, size)
        seen.append(kind)
        pos += length
    assert pos == len(data) and seen == [k for k, _ in draw_icon.ICNS_TYPES]


def test_install_and_remove_the_desktop_entry(tmp_path: Path) -> None:
    exe = "/opt/my apps/sloppy"
    entry, icon = desktop.install(tmp_path, exec_path=exe)
    text = entry.read_text()
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    assert text.startswith("[Desktop Entry]\n")
    assert fields["Type"] == "Application" and fields["Name"] == "sloppy"
    assert fields["Exec"] == '"/opt/my apps/sloppy"'  # quoted: it has a space
    assert fields["TryExec"] == exe and fields["Icon"] == str(icon)
    assert "@" not in text
    assert icon.read_bytes() == desktop.ICON.read_bytes()
    assert desktop.uninstall(tmp_path) == [entry, icon]
    assert not entry.exists() and not icon.exists()


def test_install_desktop_entry_command(tmp_path: Path) -> None:
    """Through the real launcher: the tooling hand-over knows the command."""
    out = subprocess.run(
        [SLOPPY, "install-desktop-entry", "--data-home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    entry = tmp_path / "applications" / "sloppy.desktop"
    assert f"installed {entry}" in out
    assert f"Exec={Path(SLOPPY)}" in entry.read_text()


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate (desktop-file-utils) not installed",
)
def test_entry_passes_desktop_file_validate(tmp_path: Path) -> None:
    entry, _icon = desktop.install(tmp_path, exec_path="/usr/bin/sloppy")
    proc = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "error" not in proc.stdout.lower(), proc.stdout
