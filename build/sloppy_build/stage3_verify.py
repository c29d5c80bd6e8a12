"""Stage 3: check the bundle: size budget, licences, versions, hooks, warm modules' source."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from sloppy.store.paths import BUNDLE
from sloppy.warm.warmlist import warm_modules
from sloppy_build import sizes
from sloppy_build.notices import LICENSES_FILE


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
