"""Release artefacts without a real build: archive bytes, manifest, size table, SBOM, notices."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
from importlib import metadata
from pathlib import Path

import pytest
from sloppy_build import archive, notices, sizes

from tests.support import ROOT

EPOCH = 1767225600


def fake_bundle(root: Path, *, stamp: int) -> Path:
    bundle = root / "sloppy"
    (bundle / "_internal" / "pkg").mkdir(parents=True)
    files = {
        "sloppy": b"\x7fELF exe",
        "_internal/libpython3.11.so.1.0": b"x" * 3000,
        "_internal/pkg/mod.so": b"y" * 2000,
        "_internal/pkg/data.txt": b"hello",
        "_internal/pkg-1.0.dist-info/METADATA": b"Name: pkg\n",
    }
    for rel, data in files.items():
        path = bundle / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (stamp, stamp))
    (bundle / "sloppy").chmod(0o700)
    (bundle / "_internal" / "pkg" / "data.txt").chmod(0o600)
    os.symlink("pkg/mod.so", bundle / "_internal" / "mod.so")
    return bundle


def test_two_archives_of_one_tree_are_byte_identical(tmp_path: Path) -> None:
    a = fake_bundle(tmp_path / "a", stamp=1_000_000)
    b = fake_bundle(tmp_path / "b", stamp=2_000_000)  # other mtimes, other place
    (tmp_path / "out-a").mkdir()
    (tmp_path / "out-b").mkdir()
    ra = archive.write_release(a, tmp_path / "out-a", "1.2.3", EPOCH)
    rb = archive.write_release(b, tmp_path / "out-b", "1.2.3", EPOCH)
    assert ra.archive.read_bytes() == rb.archive.read_bytes()
    assert ra.archive.name == f"sloppy-1.2.3-{archive.platform_tag()}.tar.gz"
    digest = hashlib.sha256(ra.archive.read_bytes()).hexdigest()
    assert ra.sha256_file.read_text() == f"{digest}  {ra.archive.name}\n"
    assert ra.manifest.read_text() == rb.manifest.read_text()
    # A changed byte changes the archive.
    (b / "_internal" / "pkg" / "data.txt").write_bytes(b"hellO")
    rc = archive.write_release(b, tmp_path / "out-b", "1.2.3", EPOCH)
    assert rc.sha256 != ra.sha256


def test_archive_entries_are_normalised(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path, stamp=1_000_000)
    release = archive.write_release(bundle, tmp_path, "0.1.0", EPOCH)
    raw = release.archive.read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip header: no mtime
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names) and names[0] == "sloppy"
    assert {m.mtime for m in members} == {EPOCH}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    by_name = {m.name: m for m in members}
    assert by_name["sloppy/sloppy"].mode == 0o755
    assert by_name["sloppy/_internal/pkg/data.txt"].mode == 0o644
    link = by_name["sloppy/_internal/mod.so"]
    assert link.issym() and link.linkname == "pkg/mod.so"


def test_manifest_lists_every_file_with_size_and_hash(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path, stamp=1)
    rows = [line.split("\t") for line in archive.manifest_text(bundle).splitlines()[1:]]
    files = {r[0]: r for r in rows}
    data = files["sloppy/_internal/pkg/data.txt"]
    assert data[1:] == ["5", hashlib.sha256(b"hello").hexdigest()]
    assert files["sloppy/_internal/mod.so"][2] == "-> pkg/mod.so"
    assert len(rows) == 6  # five files and the link; directories are implied


def test_size_table_groups_components_and_skips_symlinks(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path, stamp=1)
    rows = dict(sizes.table(bundle))
    assert rows["libpython"] == 3000
    assert rows["pkg"] == 2005  # mod.so + data.txt; the symlink to mod.so not again
    assert rows["package metadata (dist-info)"] == len(b"Name: pkg\n")
    assert "total (budget" in sizes.format_table(list(rows.items()))
    assert sizes.check_budget(bundle).startswith("ok")
    with pytest.raises(RuntimeError, match=r"over its 0\.001 MiB budget"):
        sizes.check_budget(bundle, budget_mib=0.001)


def test_budget_is_the_issue_number() -> None:
    assert sizes.BUDGET_MIB == 130


def installed(name: str) -> metadata.Distribution:
    return metadata.distribution(name)


def test_bundled_distributions_are_found_by_their_files() -> None:
    click = installed("click")
    site = Path(str(click.locate_file("")))
    found = notices.bundled_distributions(site, {"click.core", "os"}, {"numpy/_core/x.so"})
    names = {d.metadata["Name"].lower() for d in found}
    assert "click" in names
    assert "pytest" not in names  # installed, but none of its files in the "bundle"


def test_licence_texts_and_licences_file() -> None:
    comps = notices.python_components([installed("click"), installed("numpy")], None)
    assert [c.name for c in comps] == ["click", "numpy"]
    assert all(c.texts and len(c.texts[0][1]) > 200 for c in comps)
    assert comps[0].purl == f"pkg:pypi/click@{comps[0].version}"
    text = notices.licenses_text([notices.interpreter_component(), *comps])
    assert "CPython 3." in text and "PYTHON SOFTWARE FOUNDATION LICENSE" in text
    assert f"click {comps[0].version}" in text and "Redistribution and use" in text


def test_lock_hashes_match_the_installed_wheel() -> None:
    (numpy,) = notices.python_components([installed("numpy")], ROOT / "uv.lock")
    assert len(numpy.hashes) == 1 and len(numpy.hashes[0]) == 64


def test_sbom_is_valid_cyclonedx_and_reproducible() -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    comps = [
        notices.interpreter_component(),
        *notices.python_components([installed("click"), installed("numpy")], ROOT / "uv.lock"),
        notices.Component("libfoo1", "1.0-1", "pkg:deb/debian/libfoo1@1.0-1", "see copyright"),
        notices.Component("legacy", "1.0", "pkg:pypi/legacy@1.0", "BSD"),  # not SPDX
    ]
    doc = notices.sbom(comps, app_version="0.1.0", epoch=EPOCH, content_hash="ab" * 32)
    again = notices.sbom(comps, app_version="0.1.0", epoch=EPOCH, content_hash="ab" * 32)
    assert json.dumps(doc, sort_keys=True) == json.dumps(again, sort_keys=True)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc))
    assert error is None, error
    purls = {c.get("purl") for c in doc["components"]}  # type: ignore[attr-defined]
    assert f"pkg:pypi/numpy@{installed('numpy').version}" in purls
    assert doc["metadata"]["timestamp"] == "2026-01-01T00:00:00Z"  # type: ignore[index]
    by_name = {c["name"]: c for c in doc["components"]}  # type: ignore[attr-defined]
    assert by_name["numpy"]["licenses"][0]["expression"].startswith("BSD-3-Clause")
    assert by_name["legacy"]["licenses"] == [{"license": {"name": "BSD"}}]
    assert "licenses" not in by_name["libfoo1"]


def test_sloppy_verify_fails_a_bundle_over_budget(tmp_path: Path) -> None:
    """The real command line: a (sparse) 131 MiB file puts a bundle over its budget."""
    import subprocess

    bundle = tmp_path / "dist" / "sloppy"
    bundle.mkdir(parents=True)
    with (bundle / "big.bin").open("wb") as fh:
        fh.truncate((sizes.BUDGET_MIB + 1) * sizes.MIB)
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("sloppy")), "verify", "--dist", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "over its 130 MiB budget" in proc.stderr and "Traceback" not in proc.stderr
