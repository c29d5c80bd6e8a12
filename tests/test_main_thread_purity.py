"""At run time, nothing heavy loads on the main thread, and warmup really loaded it all."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient

from sloppy.warm import import_profile
from sloppy.warm.warmlist import warm_modules
from tests.support import purity
from tests.support.live import Proc
from tests.support.purity import KEY, check, run_env, shim_loads
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("real_keyring_discovery")]


def test_headless_with_hooks(tmp_path: Path) -> None:
    log = tmp_path / "loads.tsv"
    proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", "0"], run_env(log))
    try:
        api = ApiHookClient(proc.wait_for_hook_url(60), KEY, timeout=130)
        status = api.get("/api/warmup_wait?timeout=120")
        assert status["done"] and status["failed"] == []
        proc.popen.send_signal(signal.SIGTERM)
        assert proc.popen.wait(10) == 0
    finally:
        proc.kill()
    check(shim_loads(log), warm_modules(hooks=True))


@pytest.mark.gui
def test_gui(tmp_path: Path) -> None:
    display = Display()
    try:
        log = tmp_path / "loads.tsv"
        report = tmp_path / "report.json"
        env = {**run_env(log), **display.env()}
        proc = Proc(["--exit-when-warm", "--startup-report", str(report)], env)
        try:
            assert proc.popen.wait(120) == 0, "".join(proc.stderr)
        finally:
            proc.kill()
        assert json.loads(report.read_text())["warmup"]["failed"] == []
        check(shim_loads(log), warm_modules(hooks=False))
    finally:
        display.close()


def test_the_check_fails_on_a_main_thread_import(tmp_path: Path) -> None:
    """Negative control: the same shim and check catch an eager import."""
    import subprocess
    import sys

    log = tmp_path / "loads.tsv"
    code = "import numpy, threading, importlib\n"
    code += "t = threading.Thread(target=importlib.import_module, args=('openai',)); t.start()\n"
    code += "t.join()\n"
    subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **run_env(log)}, check=True, timeout=60
    )
    rows = shim_loads(log)
    assert ("MainThread", "numpy") in rows and any(m == "openai" for _, m in rows)
    with pytest.raises(AssertionError, match="numpy"):
        check(rows, ["openai"])


def test_the_recorders_profile_gives_the_same_verdict(tmp_path: Path) -> None:
    """The frozen-bundle check reads sloppy's own import profile: it must see what the shim
    sees (here, in the source tree, both are available)."""
    log = tmp_path / "loads.tsv"
    home = tmp_path / "home"
    env = {**run_env(log), "SLOPPY_HOME": str(home)}
    proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", "0", "--exit-when-warm"], env)
    try:
        assert proc.popen.wait(120) == 0, "".join(proc.stderr)[-2000:]
    finally:
        proc.kill()
    runs = import_profile.ProfileStore(home / "cache" / import_profile.FILENAME).runs()
    recorded = purity.profile_loads(runs[-1])
    check(recorded, warm_modules(hooks=True))
    heavy_threads = {t for t, m in shim_loads(log) if m in warm_modules(hooks=True)}
    assert heavy_threads == {t for t, m in recorded if m in warm_modules(hooks=True)}
