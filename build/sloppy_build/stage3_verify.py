"""Stage 3: check the bundle: size budget, licences, versions, hooks, warm modules' source.

``release_files`` (``sloppy verify``) also checks every byte: each file against the
manifest's sha256 (changed, missing or extra files fail by name), the archive against its
``.sha256``, and that every shipped binary has an SBOM component and a licence notice.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from sloppy.store.paths import BUNDLE
from sloppy.warm.warmlist import warm_modules
from sloppy_build import archive, notices, sbom, sizes
from sloppy_build.notices import LICENSES_FILE


def release_files(dist: Path, bundle: Path) -> dict[str, str]:
    """The release files beside ``bundle`` against it; raises ``RuntimeError`` naming files."""
    manifests = sorted(dist.glob("sloppy-*.manifest.tsv"))
    if len(manifests) != 1:
        raise RuntimeError(
            f"{dist}: expected one sloppy-*.manifest.tsv beside the bundle, found "
            f"{len(manifests)} (verify checks a `sloppy build` output folder)"
        )
    stem = manifests[0].name.removesuffix(".manifest.tsv")
    checks: dict[str, str] = {}
    archives = [p for p in dist.glob(f"{stem}.*") if p.name.endswith((".tar.gz", ".zip"))]
    for path in archives:
        sha_file = path.with_name(path.name + ".sha256")
        if not sha_file.is_file():
            raise RuntimeError(f"{path.name}: no {sha_file.name}")
        expected = sha_file.read_text().split()[0]
        if archive.sha256_file(path) != expected:
            raise RuntimeError(f"{path.name}: sha256 does not match {sha_file.name}")
        checks["archive"] = f"ok, {path.name} matches its .sha256"
    if not archives:
        raise RuntimeError(f"{dist}: no {stem}.tar.gz or .zip")
    rows = archive.read_manifest(manifests[0].read_text())
    problems = archive.check_integrity(bundle, rows)
    if problems:
        shown = "\n  ".join(problems[:30])
        raise RuntimeError(f"bundle does not match {manifests[0].name}:\n  {shown}")
    checks["integrity"] = f"ok, {len(rows)} entries match {manifests[0].name}"
    checks["coverage"] = coverage(dist / f"{stem}.cdx.json", bundle, rows)
    return checks


def coverage(sbom_path: Path, bundle: Path, rows: dict[str, archive.ManifestRow]) -> str:
    """Every shipped binary: listed by an SBOM component, whose notice is in the licences."""
    try:
        document = json.loads(sbom_path.read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"no readable SBOM {sbom_path.name}: {exc}") from exc
    listed = sbom.sbom_binaries(document)
    by_ref: dict[str, dict[str, str]] = {}

    def visit(entries: list[dict[str, object]]) -> None:
        for e in entries:
            by_ref[str(e["bom-ref"])] = {"name": str(e["name"]), "version": str(e["version"])}
            visit(e.get("components", []))  # type: ignore[arg-type]

    visit(document.get("components", []))
    licences = (bundle / LICENSES_FILE).read_text(encoding="utf-8", errors="replace")
    problems = []
    binaries = [
        r for r in rows.values() if r.size is not None and notices.SHARED_LIB.search(r.path)
    ]
    for row in binaries:
        component = by_ref.get(row.component)
        if row.path not in listed or component is None:
            problems.append(f"{row.path}: no SBOM component lists it")
        elif f"{component['name']} {component['version']}" not in licences:
            problems.append(
                f"{row.path}: {component['name']} {component['version']} has no entry in "
                f"{LICENSES_FILE}"
            )
    if problems:
        raise RuntimeError("shipped code not covered:\n  " + "\n  ".join(problems[:30]))
    return f"ok, {len(binaries)} binaries each in the SBOM and in {LICENSES_FILE}"


def run(
    bundle: Path,
    *,
    allowed_sources: tuple[str, ...] = ("archive",),
    budget_mib: float = sizes.BUDGET_MIB,
) -> dict[str, str]:
    """Every check's one-line result; raises ``RuntimeError`` on the first that fails."""
    exe = str(BUNDLE.exe(bundle))
    checks: dict[str, str] = {"size": sizes.check_budget(bundle, budget_mib)}
    licences = bundle / LICENSES_FILE
    if not licences.is_file() or licences.stat().st_size == 0:
        raise RuntimeError(f"{licences} is missing")
    checks["licences"] = f"ok, {LICENSES_FILE} ({licences.stat().st_size // 1024} KiB)"
    version = subprocess.run(
        [exe, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    if version.returncode != 0 or not version.stdout.startswith("sloppy "):
        raise RuntimeError(f"--version failed: {version.stdout} {version.stderr[-1000:]}")
    checks["--version"] = version.stdout.splitlines()[0]
    build_id = archive.read_release_info(bundle).get("build", "")
    if build_id and build_id not in version.stdout:
        raise RuntimeError(f"--version does not show the build id {build_id}: {version.stdout}")
    with tempfile.TemporaryDirectory(prefix="sloppy-verify-") as home:
        report = Path(home) / "report.json"
        env = dict(os.environ) | {"SLOPPY_HOME": home, "SLOPPY_WARM_CACHE": "off"}
        proc = subprocess.run(
            [
                exe,
                "--headless",
                "--enable-test-hooks",
                "--hook-port",
                "0",
                "--exit-when-warm",
                "--startup-report",
                str(report),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0 or "hooks: listening on http://127.0.0.1:" not in proc.stdout:
            raise RuntimeError(f"headless run failed: {proc.stdout[-500:]} {proc.stderr[-1500:]}")
        r = json.loads(report.read_text())
    sources = {m["name"]: m["source"] for m in r["modules"]}
    expected = warm_modules(hooks=True)
    wrong = {m: sources.get(m) for m in expected if sources.get(m) not in allowed_sources}
    if r["warmup"]["failed"] or wrong or not r["frozen"]:
        raise RuntimeError(
            f"bundle check failed: failed={r['warmup']['failed']} "
            f"sources={wrong} frozen={r['frozen']}"
        )
    warm_s = r["warm_done_epoch"] - r["process_start_epoch"]
    checks["headless"] = (
        f"ok, {len(expected)} warm modules from the archive, warm in {warm_s:.2f} s"
    )
    return checks
