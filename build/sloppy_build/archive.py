"""The bundle's content hash: SHA-256 of its PYZ archive (every module's compiled code).

Two builds of one commit with the same ``SOURCE_DATE_EPOCH`` and ``PYTHONHASHSEED`` give the
same hash; the warm cache uses it as the build id.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

BUILD_ID_FILE = "build_id.txt"


def pyz_bytes(bundle: Path) -> bytes:
    """The PYZ archive embedded in the bundle's executable."""
    from PyInstaller.archive.readers import CArchiveReader

    reader = CArchiveReader(str(bundle / "sloppy"))
    names = [name for name, entry in reader.toc.items() if entry[-1] == "z"]
    if not names:
        raise RuntimeError("no PYZ archive in the executable")
    data: bytes = reader.extract(names[0])
    return data


def content_hash(bundle: Path) -> str:
    return hashlib.sha256(pyz_bytes(bundle)).hexdigest()


def write_build_id(bundle: Path, digest: str) -> None:
    target = bundle / "_internal" / "sloppy" / BUILD_ID_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(digest + "\n")
