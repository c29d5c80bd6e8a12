"""What the bundle leaves out (packaging/bundle_excludes.py) is never loaded by sloppy.

sloppy runs from source on the interpreter of the bundle's own environment (uv.lock's
runtime set plus PyInstaller, see sloppy_build.stage0_env), under the purity shim, which
logs every module load: a full headless run (warmup, hook server, one request to every
provider through the loopback stubs) and a GUI run with the diagnostics chart's numpy.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from sloppy_build import stage0_env
from sloppy_build.bench.targets import SHIM_DIR
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import env_for, start_stub

from tests.support import ROOT, module_from_file
from tests.support.live import Proc
from tests.support.purity import KEY, run_env, shim_loads
from tests.support.xvfb import Display

# keyring's own discovery, as in the bundle: the tests' default backend would skip the Secret
# Service modules, and a run that never loads them cannot show that the bundle needs them.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("real_keyring_discovery")]


#: What keyring's discovery loads on Linux: the Secret Service backend and its D-Bus client.
KEYCHAIN_MODULES = {"keyring", *({"secretstorage", "jeepney"} if sys.platform == "linux" else ())}


@pytest.fixture(scope="module")
def bundle_env() -> tuple[list[str], dict[str, str]]:
    """The command and environment that run sloppy's sources on the locked build env."""
    env = stage0_env.isolated()
    path = [str(SHIM_DIR), str(ROOT / "src"), str(ROOT / "launcher")]
    return [str(env.python), "-m", "sloppy_launcher.sloppy_main"], {
        "PYTHONPATH": os.pathsep.join(path)
    }


def excludes() -> dict[str, str]:
    table: dict[str, str] = module_from_file("packaging/bundle_excludes.py").EXCLUDES
    return table


def excluded_loads(modules: set[str]) -> list[str]:
    table = excludes()
    return sorted(m for m in modules if any(m == x or m.startswith(x + ".") for x in table))


def test_the_check_sees_an_excluded_module() -> None:
    """Negative control: the matcher flags an excluded module and its submodules."""
    assert excluded_loads({"numpy.random.mtrand", "numpy.random", "numpy", "yamlish"}) == [
        "numpy.random",
        "numpy.random.mtrand",
    ]
    assert "numpy.random" in excludes() and "numpy" not in excludes()


def test_a_full_headless_run_loads_nothing_excluded(bundle_env, tmp_path: Path) -> None:
    cmd, path_env = bundle_env
    log = tmp_path / "loads.tsv"
    stub = start_stub()
    proc = Proc(
        ["--headless", "--enable-test-hooks", "--hook-port", "0"],
        {**run_env(log), **env_for(stub), **path_env},
        cmd=cmd,
    )
    try:
        api = ApiHookClient(proc.wait_for_hook_url(60), KEY, timeout=130)
        assert api.get("/api/warmup_wait?timeout=120")["done"]
        for provider in ("openai", "anthropic", "gemini"):
            status, body = api.send(provider, "stub-model", "hello")
            assert status == 200 and "stub" in body["text"], (provider, status, body)
        proc.popen.send_signal(signal.SIGTERM)
        assert proc.popen.wait(10) == 0
    finally:
        proc.kill()
        stub.close()
    modules = {m for _, m in shim_loads(log)}
    assert {"numpy", "google.auth", "anthropic", "openai", "uvicorn"} <= modules
    assert modules >= KEYCHAIN_MODULES
    assert excluded_loads(modules) == []


@pytest.mark.gui
def test_a_gui_run_loads_nothing_excluded(bundle_env, tmp_path: Path) -> None:
    cmd, path_env = bundle_env
    log = tmp_path / "loads.tsv"
    display = Display()
    try:
        proc = Proc(
            ["--exit-when-warm", "--startup-report", str(tmp_path / "r.json")],
            {**run_env(log), **path_env, **display.env()},
            cmd=cmd,
        )
        try:
            assert proc.popen.wait(120) == 0, "".join(proc.stderr)[-3000:]
        finally:
            proc.kill()
    finally:
        display.close()
    modules = {m for _, m in shim_loads(log)}
    # The lean facade (sloppy.ui.imgui_lean) loads the native module without the package's
    # __init__: the extension is what proves the window ran.
    assert {"imgui_bundle._imgui_bundle", "numpy"} | KEYCHAIN_MODULES <= modules
    assert excluded_loads(modules) == []
