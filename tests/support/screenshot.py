"""Screenshots of an X display: ``xwd`` output converted to PNG with the standard library."""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sloppy_testkit.png_writer import write_png


@dataclass
class Image:
    width: int
    height: int
    rgb: bytes  # width * height * 3

    def distinct_colors(self, step: int = 7) -> int:
        seen = set()
        for i in range(0, len(self.rgb) - 2, 3 * step):
            seen.add(self.rgb[i : i + 3])
        return len(seen)

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        i = (y * self.width + x) * 3
        return self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]

    def mean(self, x0: int, y0: int, x1: int, y1: int) -> tuple[float, float, float]:
        acc = [0, 0, 0]
        n = 0
        for y in range(y0, y1, 2):
            for x in range(x0, x1, 2):
                px = self.pixel(x, y)
                acc = [a + p for a, p in zip(acc, px, strict=True)]
                n += 1
        return acc[0] / n, acc[1] / n, acc[2] / n

    def save_png(self, path: Path) -> None:
        write_png(path, self.width, self.height, self.rgb)


def parse_xwd(data: bytes) -> Image:
    fields = struct.unpack(">25I", data[:100])
    header_size, _version, _fmt, depth, width, height = fields[:6]
    byte_order, bpp, bytes_per_line = fields[7], fields[11], fields[12]
    ncolors = fields[19]
    if bpp not in (24, 32) or depth < 24:
        raise ValueError(f"unsupported xwd: depth {depth}, {bpp} bpp")
    px = bpp // 8
    # Channel offsets within a pixel: LSBFirst stores B G R (X); MSBFirst (X) R G B.
    r, g, b = (2, 1, 0) if byte_order == 0 else (px - 3, px - 2, px - 1)
    offset = header_size + ncolors * 12
    out = bytearray(width * height * 3)
    for y in range(height):
        row = data[offset + y * bytes_per_line : offset + y * bytes_per_line + width * px]
        dst = slice(y * width * 3, (y + 1) * width * 3)
        line = bytearray(width * 3)
        line[0::3], line[1::3], line[2::3] = row[r::px], row[g::px], row[b::px]
        out[dst] = line
    return Image(width, height, bytes(out))


def grab(display: str, path: Path | None = None) -> Image:
    """Screenshot the whole ``display``; also written as PNG to ``path`` when given."""
    data = subprocess.run(
        ["xwd", "-root", "-silent", "-display", display],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    img = parse_xwd(data)
    if path is not None:
        img.save_png(path)
    return img
