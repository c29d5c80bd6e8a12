"""Stage 2 (``sloppy build --train``): a training run; its import profile becomes the default plan.

A user's very first launch then warms in a learned order (hooks' modules demanded first,
then cheapest first) instead of the declared one. The result is measured, so it differs
from run to run: it is committed as ``packaging/baked_profile.json``, an input of the build
like a PGO profile, and only ``--train`` rewrites it. Ordinary builds copy it in unchanged,
which keeps their archives byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sloppy.store import files
from sloppy.store.paths import BUNDLE
from sloppy.warm import import_profile
from sloppy_build import stage1_pyinstaller


def committed_profile() -> Path:
    """The committed training output beside sloppy.spec (bundled as sloppy/baked_profile.json)."""
    return stage1_pyinstaller.spec_path().parent / "packaging" / import_profile.BAKED_FILENAME


def bundled_profile(bundle: Path) -> Path:
    return BUNDLE.inside(bundle, BUNDLE.baked_profile)


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def run(bundle: Path, *, profile: Path | None = None) -> str:
    """Train ``bundle``; write the profile to ``profile`` (the source tree) and into the bundle."""
    profile = profile or committed_profile()
    with tempfile.TemporaryDirectory(prefix="sloppy-train-") as home:
        env = dict(os.environ) | {"SLOPPY_HOME": home, "SLOPPY_WARM_CACHE": "off"}
        cmd = [
            str(BUNDLE.exe(bundle)),
            "--headless",
            "--enable-test-hooks",
            "--hook-port",
            "0",
            "--exit-when-warm",
        ]
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"training run failed ({proc.returncode}): {proc.stderr[-2000:]}")
        recorded = Path(home) / "cache" / import_profile.FILENAME
        doc = json.loads(recorded.read_text())
    # What the planner reads (timings), without what identifies one run (id, pid, clock).
    runs = [
        {k: _rounded(v) for k, v in r.items() if k not in ("loads", "id", "started_epoch")}
        | {"id": f"baked-{i}"}
        for i, r in enumerate(doc["runs"])
    ]
    files.write_atomic(
        profile,
        (json.dumps({"schema": import_profile.SCHEMA, "runs": runs}, indent=1) + "\n").encode(),
    )
    shutil.copyfile(profile, bundled_profile(bundle))
    warm: dict[str, float] = doc["runs"][-1]["warm"]
    return (
        f"ok, {len(warm)} modules warmed in {sum(warm.values()):.2f} s; "
        f"plan written to {profile} (commit it)"
    )
