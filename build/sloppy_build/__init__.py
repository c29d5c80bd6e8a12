"""Release tooling: build, train and verify sloppy's PyInstaller bundle, then package it.

``sloppy build --dist DIR`` runs the stages in order: ``stage0_env`` (the environment of
uv.lock, or the current one), ``stage1_pyinstaller`` (freeze with sloppy.spec),
``stage2_train`` (only with ``--train``: refresh the committed warm plan), ``notices``
(THIRD_PARTY_LICENSES), ``stage3_verify`` (size budget, start it, check where every
warm-listed module came from), then ``archive`` and ``notices`` write the release
artefacts beside the bundle: archive, ``.sha256``, manifest and CycloneDX SBOM.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sloppy.store.paths import BUNDLE
from sloppy_build import (
    archive,
    notices,
    progress,
    sbom,
    sizes,
    stage0_env,
    stage1_pyinstaller,
    stage2_train,
    stage3_verify,
    stage_sign,
)


@dataclass
class BuildResult:
    bundle: Path
    seconds: float
    size_bytes: int
    content_hash: str
    checks: dict[str, str] = field(default_factory=dict)
    size_rows: list[tuple[str, int]] = field(default_factory=list)
    release: archive.Release | None = None
    sbom: Path | None = None
    env: str = ""
    identity: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"bundle:       {self.bundle}",
            f"version:      {self.identity.get('version', '?')} "
            f"(commit {self.identity.get('commit', '?')[:12]}, build {self.content_hash[:12]})",
            f"environment:  {self.env}",
            f"build time:   {self.seconds:.0f} s",
            f"size:         {self.size_bytes / sizes.MIB:.1f} MiB",
            f"content hash: {self.content_hash}",
        ]
        if self.release is not None:
            lines += [
                f"archive:      {self.release.archive} "
                f"({self.release.archive.stat().st_size / sizes.MIB:.1f} MiB, "
                f"sha256 {self.release.sha256})",
                f"manifest:     {self.release.manifest}",
            ]
        if self.sbom is not None:
            lines.append(f"sbom:         {self.sbom}")
        lines += [f"check {name}: {result}" for name, result in self.checks.items()]
        lines += [f"warning: {w}" for w in self.warnings]
        if self.size_rows:
            lines += ["", sizes.format_table(self.size_rows)]
        return "\n".join(lines)


def write_version_file(version: str) -> None:
    """The frozen ``sloppy.__version__`` (the warm cache keys on it), as a wheel build writes it."""
    package = stage0_env.CHECKOUT / "src" / "sloppy"
    if package.is_dir():  # a checkout; the wheel's copy already has its file
        (package / "_version.py").write_text(f'__version__ = "{version}"\n')


def identity(content_hash: str, epoch: int) -> dict[str, str]:
    """What names this build: version and commit (from git tags), build id, time."""
    from sloppy import vcs_version

    found = vcs_version.current(stage0_env.CHECKOUT)
    return {
        "version": found.version,
        "commit": found.commit or "unknown",
        "build": content_hash,
        "source_date_epoch": str(epoch),
    }


def build(
    dist: Path,
    *,
    work: Path | None = None,
    optimize: int = 0,
    train: bool = False,
    verify: bool = True,
    current_env: bool = False,
    package: bool = True,
    report: Callable[[progress.Event], None] | None = None,
) -> BuildResult:
    """Build into ``dist``; raises ``RuntimeError`` when a stage fails."""
    from sloppy import vcs_version

    steps = progress.Stages(
        ["environment", "PyInstaller", *(["training run"] if train else []), "licences and SBOM"]
        + ["signing"]
        + (["checks"] if verify else [])
        + (["release files"] if package else []),
        report,
    )
    t0 = time.monotonic()
    epoch = stage1_pyinstaller.source_date_epoch()
    write_version_file(vcs_version.current(stage0_env.CHECKOUT).version)
    with steps.stage("environment"):
        env = stage0_env.current() if current_env else stage0_env.isolated()
    with steps.stage("PyInstaller") as stage:
        bundle = stage1_pyinstaller.run(
            dist, work=work, optimize=optimize, python=env.python, on_step=stage.step
        )
    content_hash = archive.content_hash(bundle)
    ident = identity(content_hash, epoch)
    archive.write_build_id(bundle, content_hash)
    archive.write_release_info(bundle, ident)
    checks: dict[str, str] = {}
    if train:
        with steps.stage("training run"):
            checks["training run"] = stage2_train.run(bundle)
    with steps.stage("licences and SBOM"):
        lock = stage0_env.CHECKOUT / stage0_env.LOCK if env.isolated else None
        inv = notices.inventory(
            bundle,
            app_version=ident["version"],
            site_packages=env.site_packages,
            pyz_modules=archive.pyz_modules(bundle),
            lock=lock,
            origins=stage1_pyinstaller.origins(stage1_pyinstaller.work_dir(work)),
        )
        notices.write_licenses(bundle, inv.components)
        archive.mirror_into_app(bundle, [notices.LICENSES_FILE, BUNDLE.build_id, BUNDLE.release])
    with steps.stage("signing"):
        checks["signing"] = stage_sign.sign(bundle)
    if verify:
        with steps.stage("checks"):
            checks.update(stage3_verify.run(bundle))
    result = BuildResult(
        bundle,
        0.0,
        sizes.total_bytes(bundle),
        content_hash,
        checks,
        sizes.table(bundle),
        env=env.describe(),
        identity=ident,
        warnings=[f"no licence text for {name}" for name in inv.missing_texts],
    )
    if package:
        with steps.stage("release files"):
            result.release = archive.write_release(
                bundle,
                dist,
                ident["version"],
                epoch,
                owner=inv.owner,
                app=archive.app_bundle(bundle),
            )
            document = sbom.sbom(inv, identity=ident, epoch=epoch, content_hash=content_hash)
            result.sbom = sbom.write_sbom(dist / f"{result.release.stem()}.cdx.json", document)
    result.seconds = time.monotonic() - t0
    return result
