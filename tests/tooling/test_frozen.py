"""The PyInstaller bundle: build, release files, smoke tests headless and GUI, reproducibility.

The bundle is built once per session from uv.lock's environment (about two minutes here);
set SLOPPY_TEST_BUNDLE=DIR to test an existing ``DIR/sloppy`` bundle instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sloppy.store.paths import BUNDLE
from sloppy.warm import import_profile, planner
from sloppy.warm.warmlist import warm_modules
from tests.support import ARTIFACTS, ROOT
from tests.support.damage import apply_damage
from tests.support.key_flow import frozen_backend, key_flow
from tests.support.live import Proc
from tests.support.purity import check, keyring_discovery_env, profile_loads
from tests.support.xvfb import Display

# Each build takes minutes on a loaded 2-core machine; the default 300 s would cut it short.
pytestmark = [pytest.mark.slow, pytest.mark.frozen, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    from sloppy_build import BuildResult, archive, build

    existing = os.environ.get("SLOPPY_TEST_BUNDLE")
    if existing:
        dist = Path(existing)
        bundle = BUNDLE.root(dist)
        result = BuildResult(bundle, 0.0, 0, archive.content_hash(bundle), {})
        manifests = sorted(dist.glob("sloppy-*.manifest.tsv"))
        if manifests:  # a `sloppy build` output: its release files are tested too
            stem = manifests[0].name.removesuffix(".manifest.tsv")
            packed = next(p for p in dist.glob(f"{stem}.*") if p.suffix in (".gz", ".zip"))
            sha = packed.with_name(packed.name + ".sha256")
            result.release = archive.Release(packed, sha, manifests[0], sha.read_text().split()[0])
            result.sbom = dist / f"{stem}.cdx.json"
        return result
    dist = tmp_path_factory.mktemp("dist")
    result = build(dist, work=tmp_path_factory.mktemp("pyi-work"))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "frozen-build-summary.txt").write_text(result.summary() + "\n")
    return result


def run_bundle(bundle: Path, home: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    report = home / f"report-{time.monotonic_ns()}.json"
    proc = Proc(
        [*args, "--exit-when-warm", "--startup-report", str(report)],
        {"SLOPPY_HOME": str(home), **(env or {})},
        cmd=[str(BUNDLE.exe(bundle))],
    )
    try:
        assert proc.popen.wait(180) == 0, "".join(proc.stderr)[-3000:]
    finally:
        proc.kill()
    return json.loads(report.read_text())


def check_purity(home: Path, expected: list[str]) -> None:
    """The purity check on the bundle's own load record (a bundle ignores PYTHONPATH, so the
    shim cannot ride along): the newest run in the saved import profile."""
    runs = import_profile.ProfileStore(home / "cache" / import_profile.FILENAME).runs()
    check(profile_loads(runs[-1]), expected)


def test_build_verifies(built) -> None:
    if built.checks:  # a fresh build ran every stage
        for stage in ("size", "licences", "headless"):
            assert built.checks[stage].startswith("ok"), built.checks
        assert built.checks["--version"].startswith("sloppy ")
        assert "training run" not in built.checks  # only `sloppy build --train` trains
    assert len(built.content_hash) == 64
    build_id = BUNDLE.inside(built.bundle, BUNDLE.build_id)
    assert build_id.read_text().strip() == built.content_hash


def test_headless_smoke_archive_then_warm_cache(
    built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    heavy = warm_modules(hooks=True)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    first = run_bundle(
        built.bundle,
        tmp_path,
        "--headless",
        "--enable-test-hooks",
        "--hook-port",
        "0",
        env=keyring_discovery_env(tmp_path),
    )
    assert first["frozen"] is True and first["warmup"]["failed"] == []
    check_purity(tmp_path, heavy)
    sources = {m["name"]: m["source"] for m in first["modules"]}
    assert all(sources[m] in ("archive", "warm-cache") for m in heavy), sources
    assert (tmp_path / "cache" / "warm_cache.bin").is_file()
    second = run_bundle(
        built.bundle, tmp_path, "--headless", "--enable-test-hooks", "--hook-port", "0"
    )
    sources = {m["name"]: m["source"] for m in second["modules"]}
    assert [m for m in heavy if sources[m] != "warm-cache"] == []


def test_flipped_cache_byte_falls_back_to_the_archive_and_rebuilds(built, tmp_path: Path) -> None:
    heavy = warm_modules(hooks=False)
    run_bundle(built.bundle, tmp_path, "--headless")
    cache = tmp_path / "cache" / "warm_cache.bin"
    apply_damage(cache, "flipped")
    damaged = run_bundle(built.bundle, tmp_path, "--headless")
    assert damaged["warmup"]["failed"] == [] and damaged["warmup"]["done"]
    assert len(list(cache.parent.glob("warm_cache.bin.bad-*"))) == 1
    again = run_bundle(built.bundle, tmp_path, "--headless")
    sources = {m["name"]: m["source"] for m in again["modules"]}
    assert [m for m in heavy if sources[m] != "warm-cache"] == []


def test_first_launch_uses_the_baked_plan(built, tmp_path: Path) -> None:
    bundled = BUNDLE.inside(built.bundle, BUNDLE.baked_profile)
    committed = ROOT / "packaging" / import_profile.BAKED_FILENAME
    assert bundled.read_bytes() == committed.read_bytes()  # an input, not a measurement
    baked = json.loads(bundled.read_text())
    modules = warm_modules(hooks=True)
    expected = planner.plan(modules, baked["runs"])
    assert expected != modules  # the training run taught it something
    r = run_bundle(
        built.bundle,
        tmp_path,
        "--headless",
        "--enable-test-hooks",
        "--hook-port",
        "0",
        env={"SLOPPY_WARM_CACHE": "off"},
    )
    assert r["warmup"]["order"] == expected


@pytest.mark.gui
def test_frozen_gui_presents_a_first_frame(
    built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    display = Display()
    try:
        r = run_bundle(
            built.bundle, tmp_path, env={**display.env(), **keyring_discovery_env(tmp_path)}
        )
    finally:
        display.close()
    assert r["mode"] == "gui" and r["frozen"] is True
    assert r["process_start_epoch"] < r["first_frame_epoch"] < r["warm_done_epoch"]
    assert r["warmup"]["failed"] == []
    check_purity(tmp_path, warm_modules(hooks=False))


def test_release_files_beside_the_bundle(built) -> None:
    if built.release is None:
        pytest.skip("an existing bundle has no release files")
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from sloppy_build import archive, notices, sbom

    release = built.release
    info = archive.read_release_info(built.bundle)
    assert release.archive.name == f"sloppy-{info['version']}-{archive.platform_tag()}.tar.gz"
    assert info["build"] == built.content_hash and len(info["commit"]) == 40
    digest = hashlib.sha256(release.archive.read_bytes()).hexdigest()
    assert release.sha256_file.read_text().split() == [digest, release.archive.name]
    rows = [line.split("\t") for line in release.manifest.read_text().splitlines()[1:]]
    files = {r[0]: r for r in rows}
    for rel in ("sloppy/sloppy", "sloppy/THIRD_PARTY_LICENSES"):
        path = built.bundle.parent / rel
        assert files[rel][1:3] == [
            str(path.stat().st_size),
            hashlib.sha256(path.read_bytes()).hexdigest(),
        ]
        assert files[rel][3] == f"pkg:generic/sloppy@{info['version']}"  # its component
    assert built.sbom is not None
    text = built.sbom.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    components = {c["name"].lower(): c for c in doc["components"]}
    assert {"numpy", "imgui-bundle", "openai", "anthropic", "google-genai", "cpython"} <= set(
        components
    )
    assert doc["metadata"]["component"]["version"] == info["version"]
    # Every shipped shared library is the evidence of one component (what a scanner needs).
    listed = sbom.sbom_binaries(doc)
    shipped = {
        p.relative_to(built.bundle).as_posix()
        for p in built.bundle.rglob("*")
        if p.is_file() and not p.is_symlink() and notices.SHARED_LIB.search(p.name)
    }
    assert shipped - set(listed) == set()
    nested = [c for top in doc["components"] for c in top.get("components", [])]
    openssl = {
        c["version"] for c in [*doc["components"], *nested] if c["name"] in ("OpenSSL", "libssl3")
    }
    assert len(openssl) == 2, openssl
    # cryptography ships for keyring's Secret Service backend (SecretStorage) on Linux.
    assert "cryptography" in components and "pytest" not in components
    licences = (built.bundle / "THIRD_PARTY_LICENSES").read_text()
    for c in components.values():
        if c.get("purl", "").startswith("pkg:pypi/"):
            assert f"{c['name']} {c['version']}" in licences


@pytest.mark.parametrize("command", ["build", "bench", "verify"])
def test_tooling_inside_the_bundle_fails_in_one_line(built, command: str) -> None:
    proc = subprocess.run(
        [str(BUNDLE.exe(built.bundle)), command, "--dist", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "needs a source checkout or the wheel" in proc.stderr


def test_two_builds_give_byte_identical_archives(built, tmp_path: Path) -> None:
    if built.release is None:
        pytest.skip("reproducibility needs two fresh builds")
    from sloppy_build import build

    again = build(tmp_path / "dist", work=tmp_path / "work")
    assert again.release is not None
    assert again.content_hash == built.content_hash
    if again.release.sha256 != built.release.sha256:
        diff = set(again.release.manifest.read_text().splitlines()) ^ set(
            built.release.manifest.read_text().splitlines()
        )
        pytest.fail(f"archives differ; manifest lines that differ: {sorted(diff)[:10]}")
    assert again.release.archive.read_bytes() == built.release.archive.read_bytes()
    assert again.sbom is not None and built.sbom is not None
    assert again.sbom.read_bytes() == built.sbom.read_bytes()


def test_training_rewrites_the_committed_plan(built, tmp_path: Path) -> None:
    """``sloppy build --train``'s stage, aimed at a scratch copy of the committed file."""
    from sloppy_build import stage2_train

    bundled = stage2_train.bundled_profile(built.bundle)
    original = bundled.read_bytes()
    target = tmp_path / import_profile.BAKED_FILENAME
    try:
        assert stage2_train.run(built.bundle, profile=target).startswith("ok")
        doc = json.loads(target.read_text())
        assert bundled.read_bytes() == target.read_bytes()
    finally:
        bundled.write_bytes(original)
    (run,) = doc["runs"]
    assert set(run["warm"]) == set(warm_modules(hooks=True))
    assert "started_epoch" not in run and run["id"] == "baked-0"


def test_bundle_keys_in_the_keychain(
    built, stub, sloppy_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the bundle: paste a key, test, pick a model, send, restart signed in, remove."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)  # keyringrc.cfg picks it
    backend, stored = frozen_backend(tmp_path)
    key_flow(stub, sloppy_home, tmp_path, backend, stored, cmd=[str(BUNDLE.exe(built.bundle))])


def test_bench_compare_runs_a_bundle_against_itself(built, tmp_path: Path) -> None:
    """``sloppy bench compare DIST DIST``: timed metrics, and the exact ones from the app's
    own startup report (a frozen child ignores the PYTHONPATH shim)."""
    from sloppy_build.bench import Options, compare

    quiet = {"log": lambda _m: None, "status": lambda _m: None}
    opts = Options(mode="headless", runs=4, cachegrind=False, **quiet)  # type: ignore[arg-type]
    result = compare(str(built.bundle), str(built.bundle), opts)
    # 4 runs leave a timed interval open (3) unless the machine is quiet enough to bound it (0).
    assert result["base"]["kind"] == "bundle" and result["exit_code"] in (0, 3)
    metrics = result["metrics"]
    assert not [m for m, v in metrics.items() if v.get("verdict") == "slower"], metrics
    assert {"warm_done_s", "startup_modules", "startup_code_kib"} <= set(metrics)
    assert metrics["startup_modules"]["base"] > 50 and metrics["startup_modules"]["change"] == 0
    assert metrics["startup_code_kib"]["base"] > 100
    assert "sloppy.app.headless" in result["import_path"]["head_modules"]
    assert result["head"]["build"] == built.content_hash and result["head"]["bundle_bytes"] > 0
    assert result["runs"] == {"base": 4, "head": 4}
    upgrade = compare(
        str(built.bundle),
        str(built.bundle),
        Options(mode="headless", runs=4, cachegrind=False, upgrade=True, **quiet),  # type: ignore[arg-type]
    )
    assert "upgrade_warm_done_s" in upgrade["metrics"] and "warm_done_s" not in upgrade["metrics"]


def test_verify_checks_every_byte_of_a_real_build(built) -> None:
    """``sloppy verify`` passes on the fresh build and names a changed, missing, extra file."""
    if built.release is None:
        pytest.skip("needs the release files")
    dist = built.bundle.parent
    sloppy = [str(Path(sys.executable).with_name("sloppy")), "verify", "--dist", str(dist)]

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(sloppy, capture_output=True, text=True, timeout=300, check=False)

    ok = verify()
    assert ok.returncode == 0, ok.stderr
    assert "check integrity: ok" in ok.stdout and "check coverage: ok" in ok.stdout
    target = next((built.bundle / BUNDLE.contents / "numpy.libs").glob("libquadmath*"))
    original = target.read_bytes()
    try:
        target.write_bytes(original[:100] + bytes([original[100] ^ 1]) + original[101:])
        changed = verify()
        assert (
            changed.returncode == 1
            and f"changed file (sha256): sloppy/{BUNDLE.contents}/numpy.libs/{target.name}"
            in changed.stderr
        )
        target.unlink()
        missing = verify()
        assert (
            missing.returncode == 1
            and f"missing file: sloppy/{BUNDLE.contents}/numpy.libs/{target.name}" in missing.stderr
        )
    finally:
        target.write_bytes(original)
    extra = built.bundle / BUNDLE.contents / "extra.so"
    extra.write_bytes(b"\x7fELF")
    try:
        result = verify()
        assert result.returncode == 1
        assert f"extra file: sloppy/{BUNDLE.contents}/extra.so" in result.stderr
    finally:
        extra.unlink()


def test_version_names_version_commit_and_build(built) -> None:
    out = subprocess.run(
        [str(BUNDLE.exe(built.bundle)), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    from sloppy_build import archive

    info = archive.read_release_info(built.bundle)
    if not info:
        pytest.skip("not a release build")
    assert out.splitlines()[0] == f"sloppy {info['version']}"
    assert f"commit: {info['commit']}" in out and f"build: {built.content_hash}" in out


def test_install_desktop_entry_from_the_bundle(built, tmp_path: Path) -> None:
    import shutil

    exe = BUNDLE.exe(built.bundle)
    proc = subprocess.run(
        [str(exe), "install-desktop-entry", "--data-home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    entry = tmp_path / "applications" / "sloppy.desktop"
    icon = tmp_path / "icons" / "hicolor" / "256x256" / "apps" / "sloppy.png"
    text = entry.read_text()
    assert f"Exec={exe}" in text and f"Icon={icon}" in text
    assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0 and "error" not in check.stdout.lower(), check.stdout
    removed = subprocess.run(
        [str(exe), "install-desktop-entry", "--remove", "--data-home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "removed" in removed.stdout and not entry.exists() and not icon.exists()
