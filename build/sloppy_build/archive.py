"""The bundle's identity and its release artefacts.

``content_hash``: SHA-256 of the PYZ archive (every module's compiled code), the warm cache's
build id. ``write_release``: the bundle as one ``.tar.gz`` that two builds of one commit
write byte for byte alike (sorted entries, mtimes at ``SOURCE_DATE_EPOCH``, owner root,
modes 0755/0644, no gzip name or time), its ``.sha256`` (``sha256sum -c`` format) and the
manifest (path, size, sha256 of every regular file; symlinks with their target).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import platform
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from sloppy.store.paths import BUNDLE

TOP = BUNDLE.dir_name


def pyz_bytes(bundle: Path) -> bytes:
    """The PYZ archive embedded in the bundle's executable."""
    from PyInstaller.archive.readers import CArchiveReader

    reader = CArchiveReader(str(BUNDLE.exe(bundle)))
    names = [name for name, entry in reader.toc.items() if entry[-1] == "z"]
    if not names:
        raise RuntimeError("no PYZ archive in the executable")
    data: bytes = reader.extract(names[0])
    return data


def pyz_modules(bundle: Path) -> set[str]:
    """Names of the modules in the PYZ archive."""
    import tempfile

    from PyInstaller.archive.readers import ZlibArchiveReader

    with tempfile.TemporaryDirectory(prefix="sloppy-pyz-") as tmp:
        path = Path(tmp) / "PYZ.pyz"
        path.write_bytes(pyz_bytes(bundle))
        return set(ZlibArchiveReader(str(path)).toc)


def content_hash(bundle: Path) -> str:
    return hashlib.sha256(pyz_bytes(bundle)).hexdigest()


def write_build_id(bundle: Path, digest: str) -> None:
    target = BUNDLE.inside(bundle, BUNDLE.build_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(digest + "\n")


def platform_tag() -> str:
    """``linux-x86_64``, ``windows-x86_64``, ``macos-arm64``, ..."""
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return f"{system}-{machine}"


@dataclass(frozen=True)
class Release:
    archive: Path
    sha256_file: Path
    manifest: Path
    sha256: str

    def stem(self) -> str:
        return self.archive.name.removesuffix(".tar.gz")


def release_stem(version: str) -> str:
    return f"sloppy-{version}-{platform_tag()}"


def _entries(bundle: Path) -> list[Path]:
    return sorted(bundle.rglob("*"), key=lambda p: p.relative_to(bundle).as_posix())


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_text(bundle: Path) -> str:
    lines = ["# path\tsize\tsha256 (symlinks: -> target)"]
    for path in _entries(bundle):
        rel = f"{TOP}/{path.relative_to(bundle).as_posix()}"
        if path.is_symlink():
            lines.append(f"{rel}\t-\t-> {os.readlink(path)}")
        elif path.is_file():
            lines.append(f"{rel}\t{path.stat().st_size}\t{_sha256_file(path)}")
    return "\n".join(lines) + "\n"


def _tarinfo(path: Path, name: str, epoch: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if path.is_symlink():
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, os.readlink(path), 0o777
    elif path.is_dir():
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size = path.stat().st_size
        info.mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
    return info


def write_tar_gz(bundle: Path, target: Path, epoch: int) -> None:
    tmp = target.with_name(target.name + ".part")
    with (
        tmp.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        tar.addfile(_tarinfo(bundle, TOP, epoch))
        for path in _entries(bundle):
            info = _tarinfo(path, f"{TOP}/{path.relative_to(bundle).as_posix()}", epoch)
            if info.isreg():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    tmp.replace(target)


def write_release(bundle: Path, out: Path, version: str, epoch: int) -> Release:
    """Archive, checksum and manifest of ``bundle`` in ``out``."""
    stem = release_stem(version)
    archive = out / f"{stem}.tar.gz"
    write_tar_gz(bundle, archive, epoch)
    digest = _sha256_file(archive)
    sha_file = out / f"{archive.name}.sha256"
    sha_file.write_text(f"{digest}  {archive.name}\n")
    manifest = out / f"{stem}.manifest.tsv"
    manifest.write_text(manifest_text(bundle))
    return Release(archive, sha_file, manifest, digest)
