"""Strip debug symbols from the bundle's ELF binaries where that is safe (Linux only).

PyInstaller's ``strip=True`` strips everything, and that breaks libraries auditwheel
vendored into ``<package>.libs/`` (patchelf moved their segments; ``strip`` rewrites them
off page alignment: "ELF load command address/offset not page-aligned"). So: leave
``*.libs/`` alone, strip a copy of everything else, and keep the copy only if every load
segment is still page-aligned. libpython and the stdlib's extension modules are most of the
gain.
"""

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

PAGE = 4096
_PT_LOAD = 1


def _aligned(path: Path) -> bool:
    """Every PT_LOAD segment's file offset and address agree modulo the page size."""
    with path.open("rb") as fh:
        ident = fh.read(64)
        if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
            return False  # only 64-bit little-endian is stripped
        (phoff,) = struct.unpack_from("<Q", ident, 32)
        phentsize, phnum = struct.unpack_from("<HH", ident, 54)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr = struct.unpack_from("<IIQQ", table, i * phentsize)
        if p_type == _PT_LOAD and p_offset % PAGE != p_vaddr % PAGE:
            return False
    return True


def stripped(src: str, work: str) -> str:
    """The path to bundle instead of ``src``: a stripped copy, or ``src`` itself."""
    source = Path(src)
    if ".libs" in {p.suffix for p in source.parents} or shutil.which("strip") is None:
        return src
    if not source.is_file() or not _aligned(source):
        return src
    key = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    target = Path(work) / "stripped" / key / source.name
    if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        shutil.copy2(source, tmp)
        proc = subprocess.run(
            ["strip", "--strip-unneeded", str(tmp)], capture_output=True, check=False
        )
        if proc.returncode != 0 or not _aligned(tmp) or tmp.stat().st_size >= source.stat().st_size:
            tmp.unlink()
            return src
        tmp.replace(target)
    return str(target)
