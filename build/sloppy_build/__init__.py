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
from dataclasses import dataclass, field
from pathlib import Path

from sloppy.store.paths import BUNDLE
from sloppy_build import (
    archive,
    notices,
    sizes,
    stage0_env,
    stage1_pyinstaller,
    stage2_train,
    stage3_verify,
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

    def summary(self) -> str:
        lines = [
            f"bundle:       {self.bundle}",
            f"environment:  {self.env}",
            f"build time:   {self.seconds:.0f} s",
            f"size:         {self.size_bytes / sizes.MIB:.1f} MiB",
            f"content hash: {self.content_hash}",
        ]
        if self.release is not None:
            lines += [
                f"archive:      {self.release.archive} (sha256 {self.release.sha256})",
                f"manifest:     {self.release.manifest}",
            ]
        if self.sbom is not None:
            lines.append(f"sbom:         {self.sbom}")
        lines += [f"check {name}: {result}" for name, result in self.checks.items()]
        if self.size_rows:
            lines += ["", sizes.format_table(self.size_rows)]
        return "\n".join(lines)


def build(
    dist: Path,
    *,
    work: Path | None = None,
    optimize: int = 0,
    train: bool = False,
    verify: bool = True,
    current_env: bool = False,
    package: bool = True,
) -> BuildResult:
    """Build into ``dist``; raises ``RuntimeError`` when a stage fails."""
    from sloppy import __version__

    t0 = time.monotonic()
    env = stage0_env.current() if current_env else stage0_env.isolated()
    bundle = stage1_pyinstaller.run(dist, work=work, optimize=optimize, python=env.python)
    content_hash = archive.content_hash(bundle)
    archive.write_build_id(bundle, content_hash)
    checks: dict[str, str] = {}
    if train:
        checks["training run"] = stage2_train.run(bundle)
    internal = {
        p.relative_to(bundle / BUNDLE.contents).as_posix()
        for p in (bundle / BUNDLE.contents).rglob("*")
        if p.is_file()
    }
    dists = notices.bundled_distributions(env.site_packages, archive.pyz_modules(bundle), internal)
    lock = stage0_env.CHECKOUT / stage0_env.LOCK if env.isolated else None
    components = [
        notices.interpreter_component(),
        *notices.python_components(dists, lock),
        *notices.system_components(bundle),
    ]
    notices.write_licenses(bundle, components)
    if verify:
        checks.update(stage3_verify.run(bundle))
    result = BuildResult(
        bundle,
        0.0,
        sizes.total_bytes(bundle),
        content_hash,
        checks,
        sizes.table(bundle),
        env=env.describe(),
    )
    if package:
        epoch = stage1_pyinstaller.source_date_epoch()
        result.release = archive.write_release(bundle, dist, __version__, epoch)
        document = notices.sbom(
            components, app_version=__version__, epoch=epoch, content_hash=content_hash
        )
        result.sbom = notices.write_sbom(dist / f"{result.release.stem()}.cdx.json", document)
    result.seconds = time.monotonic() - t0
    return result
