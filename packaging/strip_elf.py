"""Make the bundle's ELF binaries smaller where that is safe (Linux only): strip or compact.

Strip: PyInstaller's ``strip=True`` strips everything, and that breaks libraries auditwheel
vendored into ``<package>.libs/`` (patchelf moved their segments; ``strip`` rewrites them
off page alignment: "ELF load command address/offset not page-aligned"). So: leave
``*.libs/`` alone, strip a copy of everything else, and keep the copy only if every load
segment is still page-aligned. libpython and the stdlib's extension modules are most of the
gain.

Compact: patchelf placed the segments it added at 2 MiB file offsets, so a vendored
library of 140 KiB takes 6 MiB, nearly all zeros. ``compacted`` moves each such segment down
to the next page boundary (offset and address still agree modulo the page, which is all
the loader needs, and the segment's alignment becomes the page) and shifts the headers that
point into it. Only zero bytes between the blocks are dropped; what the loader maps is
unchanged but for those headers.
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


_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SHT_NOBITS = 8


def _align_up(value: int, congruent_to: int) -> int:
    """The smallest offset >= ``value`` congruent to ``congruent_to`` modulo the page."""
    return value + (congruent_to - value) % PAGE


def compact(data: bytes) -> bytes | None:
    """``data`` with the zero holes between load segments removed, or None (nothing to do)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    ehdr = list(_EHDR.unpack_from(data, 0))
    phoff, shoff, phnum, shnum = ehdr[5], ehdr[6], ehdr[10], ehdr[12]
    phdrs = [list(_PHDR.unpack_from(data, phoff + i * _PHDR.size)) for i in range(phnum)]
    shdrs = [list(_SHDR.unpack_from(data, shoff + i * _SHDR.size)) for i in range(shnum)]
    loads = sorted((p for p in phdrs if p[0] == _PT_LOAD), key=lambda p: p[2])
    # Blocks: the file from one load segment's start to the next's; each keeps its content.
    starts = [0] + [p[2] for p in loads[1:]]
    ends = [*starts[1:], len(data)]
    extents = [(p[2], p[2] + p[5]) for p in phdrs if p[5]]
    extents += [(s[4], s[4] + s[5]) for s in shdrs if s[1] != _SHT_NOBITS and s[5]]
    extents += [(phoff, phoff + phnum * _PHDR.size), (shoff, shoff + shnum * _SHDR.size)]
    out = bytearray()
    moves: list[tuple[int, int, int]] = []  # (old start, old end, delta)
    for start, end in zip(starts, ends, strict=True):
        # Keep every header-described byte and every non-zero byte: only zeros are dropped.
        nonzero = start + len(data[start:end].rstrip(b"\0"))
        used = max([e for s, e in extents if start <= s < end] + [nonzero])
        new = start if not out else _align_up(len(out), start)
        out += bytes(new - len(out)) + data[start:used]
        moves.append((start, end, new - start))
    if len(out) >= len(data) - PAGE:
        return None

    def moved(offset: int) -> int:
        return offset + next((d for s, e, d in moves if s <= offset < e), 0)

    for p in phdrs:
        if p[5] or p[0] == _PT_LOAD:
            new_offset = moved(p[2])
            if p[0] == _PT_LOAD and new_offset != p[2] and p[7] > PAGE:
                p[7] = PAGE
            p[2] = new_offset
    for s in shdrs:
        if s[4]:
            s[4] = moved(s[4])
    ehdr[5], ehdr[6] = moved(phoff), moved(shoff)
    _EHDR.pack_into(out, 0, *ehdr)
    for i, p in enumerate(phdrs):
        _PHDR.pack_into(out, ehdr[5] + i * _PHDR.size, *p)
    for i, s in enumerate(shdrs):
        _SHDR.pack_into(out, ehdr[6] + i * _SHDR.size, *s)
    return bytes(out)


def compacted(src: str, work: str) -> str:
    """The path to bundle instead of ``src``: a compacted copy, or ``src`` itself."""
    source = Path(src)
    if not source.is_file():
        return src
    data = compact(source.read_bytes())
    if data is None:
        return src
    key = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    target = Path(work) / "compacted" / key / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    shutil.copymode(source, target)
    return str(target) if _aligned(target) else src


def stripped(src: str, work: str) -> str:
    """The path to bundle instead of ``src``: a stripped or compacted copy, or ``src``."""
    source = Path(src)
    if ".libs" in {p.suffix for p in source.parents}:
        return compacted(src, work)
    if shutil.which("strip") is None:
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
