"""The bundle's identity and its release artefacts.

``content_hash``: SHA-256 of the PYZ archive (every module's compiled code), the warm cache's
build id. ``write_release_info``: version, commit and build id inside the bundle (``sloppy
--version``). ``write_release``: the bundle as one archive (``.tar.gz`` on Linux, ``.zip``
on Windows and macOS) that two builds of one commit write byte for byte alike (sorted
entries, times at ``SOURCE_DATE_EPOCH``, owner root, modes 0755/0644, no gzip name or time),
its ``.sha256`` (``sha256sum -c`` format) and the manifest (path, size, sha256 and component
of every regular file; symlinks with their target). ``check_integrity``: the bundle against
its manifest, byte for byte.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import stat
import sys
import tarfile
import time
import zipfile
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


def write_release_info(bundle: Path, identity: dict[str, str]) -> Path:
    """``{"version", "commit", "build", "source_date_epoch"}`` for ``sloppy --version``."""
    target = BUNDLE.inside(bundle, BUNDLE.release)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(identity, indent=1, sort_keys=True) + "\n")
    return target


def read_release_info(bundle: Path) -> dict[str, str]:
    """The identity a release build wrote into ``bundle`` ({} for any other bundle)."""
    try:
        data = json.loads(BUNDLE.inside(bundle, BUNDLE.release).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


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
        return self.archive.name.removesuffix(".tar.gz").removesuffix(".zip")


def release_stem(version: str) -> str:
    return f"sloppy-{version}-{platform_tag()}"


def archive_suffix(platform_name: str = sys.platform) -> str:
    """``.zip`` where users expect one (Windows Explorer, macOS Finder and notarytool)."""
    return ".zip" if platform_name in ("win32", "darwin") else ".tar.gz"


MANIFEST_HEADER = "# path\tsize\tsha256 (symlinks: -> target)\tcomponent (SBOM bom-ref)"


def _entries(bundle: Path) -> list[Path]:
    return sorted(bundle.rglob("*"), key=lambda p: p.relative_to(bundle).as_posix())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_text(bundle: Path, owner: dict[str, str] | None = None) -> str:
    """One line per file: path, size, sha256, and (``owner``: bundle path -> component)."""
    lines = [MANIFEST_HEADER]
    for path in _entries(bundle):
        inner = path.relative_to(bundle).as_posix()
        rel = f"{TOP}/{inner}"
        if path.is_symlink():
            lines.append(f"{rel}\t-\t-> {os.readlink(path)}\t-")
        elif path.is_file():
            component = (owner or {}).get(inner, "-")
            lines.append(f"{rel}\t{path.stat().st_size}\t{sha256_file(path)}\t{component}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ManifestRow:
    path: str  # bundle-relative
    size: int | None  # None: a symlink
    sha256: str  # or "-> target"
    component: str


def read_manifest(text: str) -> dict[str, ManifestRow]:
    rows = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        path, size, digest = parts[0], parts[1], parts[2]
        rel = path.removeprefix(f"{TOP}/")
        rows[rel] = ManifestRow(
            rel, None if size == "-" else int(size), digest, parts[3] if len(parts) > 3 else "-"
        )
    return rows


def check_integrity(bundle: Path, manifest: dict[str, ManifestRow]) -> list[str]:
    """Every difference between ``bundle`` and its manifest: changed, missing, extra files."""
    problems = []
    seen = set()
    for path in _entries(bundle):
        rel = path.relative_to(bundle).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        seen.add(rel)
        row = manifest.get(rel)
        if row is None:
            problems.append(f"extra file: {TOP}/{rel}")
        elif path.is_symlink():
            if row.size is not None or row.sha256 != f"-> {os.readlink(path)}":
                problems.append(f"changed link: {TOP}/{rel}")
        elif row.size is None or path.stat().st_size != row.size:
            problems.append(f"changed file (size): {TOP}/{rel}")
        elif sha256_file(path) != row.sha256:
            problems.append(f"changed file (sha256): {TOP}/{rel}")
    problems += [f"missing file: {TOP}/{rel}" for rel in sorted(set(manifest) - seen)]
    return problems


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


def write_zip(bundle: Path, target: Path, epoch: int, top: str = TOP) -> None:
    """The same normalisation as ``write_tar_gz`` in a zip (times rounded to 2 s by the format)."""
    stamp = time.gmtime(max(epoch, 315532800))[:6]  # a zip cannot say before 1980
    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in _entries(bundle):
            name = f"{top}/{path.relative_to(bundle).as_posix()}"
            if path.is_symlink():
                info = zipfile.ZipInfo(name, stamp)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, os.readlink(path))
            elif path.is_dir():
                info = zipfile.ZipInfo(name + "/", stamp)
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
                zf.writestr(info, b"")
            else:
                info = zipfile.ZipInfo(name, stamp)
                mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with path.open("rb") as src, zf.open(info, "w") as dst:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        dst.write(block)
    tmp.replace(target)


def app_bundle(bundle: Path) -> Path | None:
    """macOS: the ``sloppy.app`` PyInstaller made beside the onedir folder (what ships)."""
    app = bundle.parent / "sloppy.app"
    return app if app.is_dir() else None


def mirror_into_app(bundle: Path, files: list[str]) -> None:
    """Copy files written after PyInstaller (notices, build id, release identity) into the
    macOS ``.app`` too: PyInstaller built it from the onedir folder before they existed.

    ``files``: paths at the bundle root (``THIRD_PARTY_LICENSES``) or data paths under the
    contents folder; in the ``.app`` both live under ``Contents/Resources`` (PyInstaller links
    data from ``Contents/Frameworks``, the app's ``sys._MEIPASS``, into it).
    """
    app = app_bundle(bundle)
    if app is None:
        return
    for rel in files:
        source = bundle / rel if (bundle / rel).is_file() else BUNDLE.inside(bundle, rel)
        for base in ("Resources", "Frameworks"):
            target = app / "Contents" / base / rel
            if base == "Frameworks" and target.parent.resolve().is_relative_to(
                (app / "Contents" / "Resources").resolve()
            ):
                continue  # a linked data folder: the Resources copy is already seen here
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())


def write_release(
    bundle: Path,
    out: Path,
    version: str,
    epoch: int,
    owner: dict[str, str] | None = None,
    suffix: str | None = None,
    app: Path | None = None,
) -> Release:
    """Archive, checksum and manifest of ``bundle`` in ``out`` (the archive holds ``app``, the
    macOS ``.app``, when given; the manifest always describes the onedir folder)."""
    stem = release_stem(version)
    suffix = suffix or archive_suffix()
    archive = out / f"{stem}{suffix}"
    if app is not None:
        write_zip(app, archive, epoch, top=app.name)
    else:
        (write_zip if suffix == ".zip" else write_tar_gz)(bundle, archive, epoch)
    digest = sha256_file(archive)
    sha_file = out / f"{archive.name}.sha256"
    sha_file.write_text(f"{digest}  {archive.name}\n")
    manifest = out / f"{stem}.manifest.tsv"
    manifest.write_text(manifest_text(bundle, owner))
    return Release(archive, sha_file, manifest, digest)
