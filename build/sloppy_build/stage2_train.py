"""Stage 2: a training run of the fresh bundle; its import profile becomes the default plan.

A user's very first launch then warms in a learned order (hooks' modules demanded first,
then cheapest first) instead of the declared one.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from sloppy import import_profile, storage


def internal_dir(bundle: Path) -> Path:
    """Where PyInstaller puts data in a onedir bundle (``sys._MEIPASS``)."""
    return bundle / "_internal"


def run(bundle: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="sloppy-train-") as home:
        env = dict(os.environ) | {"SLOPPY_HOME": home, "SLOPPY_WARM_CACHE": "off"}
        cmd = [
            str(bundle / "sloppy"),
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
        profile = Path(home) / "cache" / import_profile.FILENAME
        doc = json.loads(profile.read_text())
    runs = [{k: v for k, v in r.items() if k != "loads"} for r in doc["runs"]]
    target = internal_dir(bundle) / "sloppy" / import_profile.BAKED_FILENAME
    storage.write_json_atomic(target, {"schema": import_profile.SCHEMA, "runs": runs})
    warm = runs[-1]["warm"]
    return f"ok, {len(warm)} modules warmed in {sum(warm.values()):.2f} s; plan baked"
