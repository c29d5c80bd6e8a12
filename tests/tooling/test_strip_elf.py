"""packaging/strip_elf.py: compaction keeps every mapped byte and the library still loads."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import module_from_file

LIBS = Path(sysconfig.get_path("platlib")) / "imgui_bundle.libs"


def strip_elf() -> ModuleType:  # packaging/ is PyInstaller's folder, not a package
    return module_from_file("packaging/strip_elf.py")


def loads(data: bytes, module) -> list[tuple[int, int, bytes]]:
    """(vaddr, memsz, mapped file bytes) of every PT_LOAD, the ELF's own headers blanked."""
    ehdr = module._EHDR.unpack_from(data, 0)
    blank = bytearray(data)
    for start, size in ((0, 64), (ehdr[5], ehdr[10] * 56), (ehdr[6], ehdr[12] * 64)):
        blank[start : start + size] = bytes(size)
    out = []
    for i in range(ehdr[10]):
        p = module._PHDR.unpack_from(data, ehdr[5] + i * module._PHDR.size)
        if p[0] == 1:
            out.append((p[3], p[6], bytes(blank[p[2] : p[2] + p[5]])))
    return out


@pytest.mark.skipif(not LIBS.is_dir(), reason="imgui_bundle's vendored libraries are Linux's")
def test_compaction_drops_zeros_only_and_the_library_loads(tmp_path: Path) -> None:
    module = strip_elf()
    for lib in sorted(LIBS.iterdir()):
        original = lib.read_bytes()
        small = module.compact(original)
        assert small is not None and len(small) < len(original) // 2, lib.name
        assert loads(small, module) == loads(original, module)  # same image in memory
        (tmp_path / lib.name).write_bytes(small)
        assert module._aligned(tmp_path / lib.name)
        assert module.compact(small) is None  # nothing left to drop
    code = (
        "import ctypes, sys; from pathlib import Path;"
        "libs = sorted(Path(sys.argv[1]).iterdir(), key=lambda p: 'dispatch' not in p.name);"
        "loaded = {p.name.split('-')[0]: ctypes.CDLL(str(p)) for p in libs};"
        "print(loaded['libOpenGL'].glGetString is not None)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"LD_LIBRARY_PATH": str(tmp_path)},
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr


def test_not_elf_is_left_alone(tmp_path: Path) -> None:
    module = strip_elf()
    assert module.compact(b"MZ not an ELF file" * 100) is None
    # find_library gives a bare soname; the mapped file is the one this process runs on.
    maps = Path("/proc/self/maps").read_text().splitlines()
    lib = next((Path(m.split()[-1]) for m in maps if "/libc.so" in m or "/libc-" in m), None)
    if lib is None:
        pytest.skip("no libc mapped in this process")
    assert module.compact(lib.read_bytes()) is None  # a normal library has no holes
