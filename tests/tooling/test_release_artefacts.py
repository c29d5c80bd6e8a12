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
from sloppy_build import archive, notices, sbom, sizes

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
    assert data[1:3] == ["5", hashlib.sha256(b"hello").hexdigest()]
    assert files["sloppy/_internal/mod.so"][2] == "-> pkg/mod.so"
    assert len(rows) == 6  # five files and the link; directories are implied
    assert {r[3] for r in rows} == {"-"}  # no inventory given: no component named


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
    inv = notices.Inventory([notices.app_component("0.1.0"), *comps], {})
    ident = {"version": "0.1.0", "commit": "c" * 40, "build": "ab" * 32}
    doc = sbom.sbom(inv, identity=ident, epoch=EPOCH, content_hash="ab" * 32)
    again = sbom.sbom(inv, identity=ident, epoch=EPOCH, content_hash="ab" * 32)
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


# -- a zip (Windows, macOS) --------------------------------------------------------------------


def test_zip_archives_are_reproducible_and_normalised(tmp_path: Path) -> None:
    import zipfile

    a = fake_bundle(tmp_path / "a", stamp=1_000_000)
    b = fake_bundle(tmp_path / "b", stamp=2_000_000)
    for out in ("out-a", "out-b"):
        (tmp_path / out).mkdir()
    ra = archive.write_release(a, tmp_path / "out-a", "1.2.3", EPOCH, suffix=".zip")
    rb = archive.write_release(b, tmp_path / "out-b", "1.2.3", EPOCH, suffix=".zip")
    assert (
        ra.archive.name.endswith(".zip") and ra.stem() == f"sloppy-1.2.3-{archive.platform_tag()}"
    )
    assert ra.archive.read_bytes() == rb.archive.read_bytes()
    with zipfile.ZipFile(ra.archive) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    assert infos["sloppy/sloppy"].external_attr >> 16 & 0o777 == 0o755
    assert infos["sloppy/_internal/pkg/data.txt"].external_attr >> 16 & 0o777 == 0o644
    assert {i.date_time for i in infos.values()} == {(2026, 1, 1, 0, 0, 0)}
    assert (
        archive.archive_suffix("win32") == ".zip" and archive.archive_suffix("linux") == ".tar.gz"
    )


# -- integrity: every byte against the manifest ------------------------------------------------


def test_integrity_names_changed_missing_and_extra_files(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path, stamp=1)
    rows = archive.read_manifest(archive.manifest_text(bundle))
    assert archive.check_integrity(bundle, rows) == []
    (bundle / "_internal" / "pkg" / "data.txt").write_bytes(b"hellO")  # same size
    (bundle / "_internal" / "pkg" / "mod.so").unlink()
    (bundle / "_internal" / "extra.bin").write_bytes(b"!")
    problems = archive.check_integrity(bundle, rows)
    assert "changed file (sha256): sloppy/_internal/pkg/data.txt" in problems
    assert "missing file: sloppy/_internal/pkg/mod.so" in problems
    assert "extra file: sloppy/_internal/extra.bin" in problems
    assert len(problems) == 3


# -- the inventory of a (small) bundle made of real installed files ---------------------------

SITE = Path(metadata.distribution("cryptography").locate_file(""))  # type: ignore[arg-type]


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(src.read_bytes())


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A bundle holding real vendored binaries (a static OpenSSL in cryptography, GLFW and
    libglvnd from imgui-bundle, OpenBLAS and the GCC runtime from numpy, fonts) and host
    libraries (the system OpenSSL), with its release files written as ``sloppy build`` does."""
    root = tmp_path_factory.mktemp("release")
    bundle = root / "dist" / "sloppy"
    internal = bundle / "_internal"
    internal.mkdir(parents=True)
    (bundle / "sloppy").write_bytes(b"\x7fELF exe")
    (bundle / "sloppy").chmod(0o755)
    wanted = (
        "cryptography/hazmat/bindings/_rust",
        "imgui_bundle/libglfw",
        "imgui_bundle.libs/",
        "imgui_bundle/_imgui_bundle",
        "numpy.libs/",
        "imgui_bundle/assets/fonts/DroidSans",
        "cryptography-",
    )
    for dist_name in ("cryptography", "imgui-bundle", "numpy"):
        for f in metadata.distribution(dist_name).files or []:
            posix = f.as_posix()
            if posix.startswith(wanted) and not posix.endswith(
                ("RECORD", "INSTALLER", "REQUESTED")
            ):
                _copy(Path(str(f.locate())), internal / posix)
    origins = {}
    for lib in ("libssl.so.3", "libcrypto.so.3"):
        source = (
            next(
                p
                for p in (Path("/usr/lib/x86_64-linux-gnu"), Path("/lib/x86_64-linux-gnu"))
                if (p / lib).exists()
            )
            / lib
        )
        _copy(source, internal / lib)
        origins[lib] = str(source)
    inv = notices.inventory(
        bundle,
        app_version="1.2.3",
        site_packages=SITE,
        pyz_modules={"cryptography", "imgui_bundle", "numpy"},
        lock=ROOT / "uv.lock",
        origins=origins,
    )
    notices.write_licenses(bundle, inv.components)
    ident = {"version": "1.2.3", "commit": "c" * 40, "build": "b" * 64}
    rel = archive.write_release(bundle, root / "dist", "1.2.3", EPOCH, owner=inv.owner)
    doc = sbom.sbom(inv, identity=ident, epoch=EPOCH, content_hash="ab" * 32)
    sbom_path = sbom.write_sbom(root / "dist" / f"{rel.stem()}.cdx.json", doc)
    return {"bundle": bundle, "dist": root / "dist", "inv": inv, "doc": doc, "sbom": sbom_path}


def _walk(entries: list[dict]) -> list[dict]:
    return [x for e in entries for x in (e, *_walk(e.get("components", [])))]


@pytest.mark.skipif(not Path("/usr/bin/dpkg-query").exists(), reason="needs a Debian-like host")
def test_sbom_lists_vendored_native_code_and_both_openssls(release: dict) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = release["sbom"].read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    every = _walk(doc["components"])
    by_name = {c["name"]: c for c in every}
    # The static OpenSSL inside cryptography's extension, nested under cryptography, with a CPE.
    crypto = by_name["cryptography"]
    static = next(c for c in crypto["components"] if c["name"] == "OpenSSL")
    assert static["cpe"].startswith("cpe:2.3:a:openssl:openssl:") and static["version"][0].isdigit()
    # The system OpenSSL, labelled with the build host's distribution (not a hard-coded one).
    distro = notices.host_distribution()[0]
    system = by_name["libssl3"]
    assert system["purl"].startswith(f"pkg:deb/{distro}/libssl3@") and "distro=" in system["purl"]
    openssls = {c["version"] for c in every if c["name"] in ("OpenSSL", "libssl3")}
    assert len(openssls) == 2
    # The wheels' own SBOMs (PEP 770): Rust crates under cryptography, libglvnd under imgui.
    assert any(c.get("purl", "").startswith("pkg:cargo/") for c in crypto["components"])
    imgui = by_name["imgui-bundle"]
    glvnd = [c for c in imgui["components"] if c["name"].startswith("libglvnd")]
    assert len(glvnd) == 3 and all(c["purl"].startswith("pkg:rpm/") for c in glvnd)
    glfw = by_name["GLFW"]
    assert glfw["version"].count(".") == 2 and glfw["hashes"] and glfw["licenses"]
    for name in ("OpenBLAS", "libgfortran", "libquadmath", "Dear ImGui", "Droid Sans"):
        assert name in by_name, name
    # A scanner's view: every shipped binary maps to a component that names it.
    listed = sbom.sbom_binaries(doc)
    shipped = {
        p.relative_to(release["bundle"]).as_posix()
        for p in release["bundle"].rglob("*")
        if p.is_file() and notices.SHARED_LIB.search(p.name)
    }
    assert shipped and shipped <= set(listed), shipped - set(listed)
    assert doc["metadata"]["component"]["version"] == "1.2.3"
    props = {p["name"]: p["value"] for p in doc["metadata"]["component"]["properties"]}
    assert props["sloppy:commit"] == "c" * 40 and props["sloppy:build"] == "b" * 64


@pytest.mark.skipif(not Path("/usr/bin/dpkg-query").exists(), reason="needs a Debian-like host")
def test_notices_cover_lgpl_fonts_and_debian_common_licences(release: dict) -> None:
    text = (release["bundle"] / notices.LICENSES_FILE).read_text()
    assert "numpy / libquadmath" in text and "relink" in text  # the LGPL obligations
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text
    assert "cryptography / OpenSSL" in text and "The OpenSSL Project Authors" in text
    assert "imgui-bundle / GLFW" in text and "Camilla L" in text
    assert "imgui-bundle / Droid Sans" in text
    # Debian's copyright files point into /usr/share/common-licenses: those texts ship too.
    for name in sorted(set(notices._COMMON.findall(text))):
        if (Path("/usr/share/common-licenses") / name).is_file():
            assert f"\n/usr/share/common-licenses/{name}\n" in text, name
    assert release["inv"].missing_texts == []


@pytest.mark.skipif(not Path("/usr/bin/dpkg-query").exists(), reason="needs a Debian-like host")
def test_every_file_is_attributed_and_the_manifest_names_its_component(release: dict) -> None:
    rows = archive.read_manifest(next(release["dist"].glob("*.manifest.tsv")).read_text())
    regular = [r for r in rows.values() if r.size is not None]
    assert regular and all(r.component != "-" for r in regular)
    assert rows["_internal/libssl.so.3"].component.startswith("pkg:deb/")
    assert rows["sloppy"].component == "pkg:generic/sloppy@1.2.3"


def test_a_file_of_no_component_fails_the_inventory(tmp_path: Path) -> None:
    bundle = tmp_path / "sloppy"
    (bundle / "_internal" / "mystery").mkdir(parents=True)
    (bundle / "sloppy").write_bytes(b"exe")
    (bundle / "_internal" / "mystery" / "blob.so").write_bytes(b"?")
    with pytest.raises(RuntimeError, match=r"_internal/mystery/blob\.so"):
        notices.inventory(bundle, app_version="1", site_packages=SITE, pyz_modules=set(), lock=None)


# -- sloppy verify on the release ---------------------------------------------------------------


def _verify(dist: Path) -> dict[str, str]:
    from sloppy_build import stage3_verify

    return stage3_verify.release_files(dist, dist / "sloppy")


@pytest.mark.skipif(not Path("/usr/bin/dpkg-query").exists(), reason="needs a Debian-like host")
def test_verify_checks_every_byte_and_every_binary(release: dict, tmp_path: Path) -> None:
    import shutil

    dist = tmp_path / "dist"
    shutil.copytree(release["dist"], dist, symlinks=True)
    checks = _verify(dist)
    assert checks["integrity"].startswith("ok") and checks["coverage"].startswith("ok")
    glfw = next((dist / "sloppy" / "_internal" / "imgui_bundle").glob("libglfw.so*"))
    original = glfw.read_bytes()
    glfw.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(RuntimeError, match=f"changed file \\(sha256\\): sloppy/.*{glfw.name}"):
        _verify(dist)
    glfw.write_bytes(original)
    # A binary the SBOM does not list: drop GLFW from the SBOM.
    sbom_path = next(dist.glob("*.cdx.json"))
    doc = json.loads(sbom_path.read_text())
    for c in _walk(doc["components"]):
        c["components"] = [x for x in c.get("components", []) if x["name"] != "GLFW"]
    sbom_path.write_text(json.dumps(doc))
    with pytest.raises(RuntimeError, match=f"{glfw.name}: no SBOM component lists it"):
        _verify(dist)
    sbom_path.write_text(json.dumps(release["doc"], indent=2, sort_keys=True) + "\n")
    # A binary whose component has no entry in THIRD_PARTY_LICENSES.
    licences = dist / "sloppy" / notices.LICENSES_FILE
    text = licences.read_text()
    licences.write_text(text.replace("imgui-bundle / GLFW", "imgui-bundle / (removed)"))
    with pytest.raises(RuntimeError, match="changed file"):  # integrity notices it first
        _verify(dist)
    from sloppy_build import stage3_verify

    rows = archive.read_manifest(next(dist.glob("*.manifest.tsv")).read_text())
    with pytest.raises(RuntimeError, match=f"{glfw.name}: GLFW .* has no entry in THIRD_PARTY"):
        stage3_verify.coverage(sbom_path, dist / "sloppy", rows)
    # The archive must match its .sha256.
    licences.write_text(text)
    tarball = next(dist.glob("*.tar.gz"))
    tarball.write_bytes(tarball.read_bytes() + b"\0")
    with pytest.raises(RuntimeError, match="sha256 does not match"):
        _verify(dist)
