"""sloppy's app icon, drawn from code (an original design): a chat bubble on a blue tile.

    python packaging/icons/draw_icon.py --out DIR      # sloppy.png (256), .ico, .icns in DIR
    python packaging/icons/draw_icon.py --window-icon  # rewrite the committed window icon

Instead of binary icon files kept by hand, the shapes are signed distance functions rendered
with numpy at each size (anti-aliased by distance), then packed with the standard library:
PNG (zlib), ICO (PNG entries, Vista+) and ICNS (PNG entries, macOS 10.7+). The build draws
the .ico and .icns; the 256 px PNG the window uses is committed (hello_imgui loads
``app_settings/icon.png`` from sloppy's assets) and a test checks it matches this drawing.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WINDOW_ICON = HERE.parents[1] / "src" / "sloppy" / "assets" / "app_settings" / "icon.png"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: ICNS types that hold PNG data, by pixel size (``ic11``..``ic14`` are the @2x variants).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic13", 256),
    (b"ic08", 256),
    (b"ic14", 512),
    (b"ic09", 512),
    (b"ic10", 1024),
)
TOP, BOTTOM = np.array([0.20, 0.56, 0.90]), np.array([0.09, 0.27, 0.58])
BUBBLE = np.array([0.97, 0.98, 1.0])


def _box(
    x: np.ndarray, y: np.ndarray, cx: float, cy: float, hw: float, hh: float, r: float
) -> np.ndarray:
    """Signed distance to a rounded box centred on (cx, cy), half-size (hw, hh), radius r."""
    qx, qy = np.abs(x - cx) - hw + r, np.abs(y - cy) - hh + r
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - r


def _triangle(x: np.ndarray, y: np.ndarray, pts: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Signed distance (approximate outside the corners) to a triangle, either winding."""
    (ax, ay), (bx, by), (cx, cy) = pts
    if (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) < 0:
        pts = pts[::-1]
    d = np.full(x.shape, -np.inf)
    for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1], strict=True):
        nx, ny = by - ay, -(bx - ax)  # the outward normal, for this winding
        n = float(np.hypot(nx, ny))
        d = np.maximum(d, ((x - ax) * nx + (y - ay) * ny) / n)
    return d


def draw(size: int) -> bytes:
    """The icon as ``size`` x ``size`` RGBA bytes, rows top to bottom."""
    c = (np.arange(size) + 0.5) / size
    x, y = np.meshgrid(c, c)
    px = 1.0 / size

    def cover(d: np.ndarray) -> np.ndarray:
        return np.clip(0.5 - d / px, 0.0, 1.0)

    tile = cover(_box(x, y, 0.5, 0.5, 0.46, 0.46, 0.2))
    bubble = np.maximum(
        cover(_box(x, y, 0.5, 0.45, 0.31, 0.22, 0.11)),
        cover(_triangle(x, y, ((0.30, 0.60), (0.27, 0.82), (0.46, 0.60)))),
    )
    dots = np.zeros_like(x)
    for cx in (0.37, 0.5, 0.63):
        dots = np.maximum(dots, cover(np.hypot(x - cx, y - 0.45) - 0.048))
    t = y[..., None]
    rgb = TOP * (1 - t) + BOTTOM * t
    rgb = rgb * (1 - bubble[..., None]) + BUBBLE * bubble[..., None]
    rgb = rgb * (1 - dots[..., None]) + (TOP * 0.6 + BOTTOM * 0.4) * dots[..., None]
    rgba = np.dstack([rgb, tile])
    return (np.round(rgba * 255)).astype(np.uint8).tobytes()


def png(size: int) -> bytes:
    """The icon as a PNG file (RGBA, filter 0, deterministic)."""
    data = draw(size)
    stride = size * 4
    raw = b"".join(b"\x00" + data[y * stride : (y + 1) * stride] for y in range(size))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico() -> bytes:
    """A Windows .ico holding every size in ``ICO_SIZES`` as PNG entries."""
    images = [png(s) for s in ICO_SIZES]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, image in zip(ICO_SIZES, images, strict=True):
        dim = 0 if size >= 256 else size  # 0 means 256
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return out + b"".join(images)


def icns() -> bytes:
    """A macOS .icns with PNG entries from 16 to 1024 px."""
    cache: dict[int, bytes] = {}
    body = b""
    for kind, size in ICNS_TYPES:
        image = cache.setdefault(size, png(size))
        body += kind + struct.pack(">I", 8 + len(image)) + image
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def build_icons(out: Path) -> dict[str, Path]:
    """Write sloppy.png (256 px), sloppy.ico and sloppy.icns into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"png": out / "sloppy.png", "ico": out / "sloppy.ico", "icns": out / "sloppy.icns"}
    files["png"].write_bytes(png(256))
    files["ico"].write_bytes(ico())
    files["icns"].write_bytes(icns())
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, help="write sloppy.png, .ico and .icns here")
    ap.add_argument("--window-icon", action="store_true", help=f"rewrite {WINDOW_ICON.name}")
    args = ap.parse_args(argv)
    if args.out:
        for path in build_icons(args.out).values():
            print(path)
    if args.window_icon:
        WINDOW_ICON.parent.mkdir(parents=True, exist_ok=True)
        WINDOW_ICON.write_bytes(png(256))
        print(WINDOW_ICON)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
