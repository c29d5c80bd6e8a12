"""Release tooling: build, train and verify sloppy's PyInstaller bundle.

``sloppy build --dist DIR`` runs the stages in order: ``stage1_pyinstaller`` (freeze with
sloppy.spec), ``stage2_train`` (a headless run of the fresh bundle; its import profile is
baked in as the first launch's warm plan), ``stage3_verify`` (start it, check where every
warm-listed module came from, ``--version``). ``archive`` computes the content hash.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sloppy_build import archive, stage1_pyinstaller, stage2_train, stage3_verify


@dataclass
class BuildResult:
    bundle: Path
    seconds: float
    size_bytes: int
    content_hash: str
    checks: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            f"bundle:       {self.bundle}",
            f"build time:   {self.seconds:.0f} s",
            f"size:         {self.size_bytes / 1e6:.0f} MB",
            f"content hash: {self.content_hash}",
        ]
        lines += [f"check {name}: {result}" for name, result in self.checks.items()]
        return "\n".join(lines)


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(
    dist: Path,
    *,
    work: Path | None = None,
    optimize: int = 0,
    train: bool = True,
    verify: bool = True,
) -> BuildResult:
    """Build the bundle into ``dist/sloppy``; raises ``RuntimeError`` when a stage fails."""
    t0 = time.monotonic()
    bundle = stage1_pyinstaller.run(dist, work=work, optimize=optimize)
    content_hash = archive.content_hash(bundle)
    archive.write_build_id(bundle, content_hash)
    checks: dict[str, str] = {}
    if train:
        checks["training run"] = stage2_train.run(bundle)
    if verify:
        checks.update(stage3_verify.run(bundle))
    return BuildResult(bundle, time.monotonic() - t0, dir_size(bundle), content_hash, checks)
