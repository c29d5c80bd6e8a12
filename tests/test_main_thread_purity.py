"""At run time, nothing heavy loads on the main thread, and warmup really loaded it all."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from sloppy.api_hooks import ApiHookClient
from sloppy.warm_list import MAIN_THREAD_DENYLIST, warm_modules
from tests.conftest import ROOT
from tests.live import Proc
from tests.xvfb import Display

pytestmark = pytest.mark.slow
SHIM = ROOT / "tests" / "purity_shim"
KEY = "purity-key-0123456789abc"


def loads(log: Path) -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in log.read_text().splitlines() if "\t" in line]
    return [(thread, module) for thread, module in rows]


def check(rows: list[tuple[str, str]], expected: list[str]) -> None:
    def denied(module: str) -> bool:
        return any(module == d or module.startswith(d + ".") for d in MAIN_THREAD_DENYLIST)

    on_main = sorted({m for t, m in rows if t == "MainThread" and denied(m)})
    assert on_main == [], f"heavy modules loaded on MainThread: {on_main[:20]}"
    loaded = {m for _, m in rows}
    extra = [
        "pydantic",
        "keyring",
        *(["secretstorage", "jeepney"] if sys.platform == "linux" else []),
    ]
    missing = [m for m in [*expected, *extra] if m not in loaded]
    assert missing == [], f"warmup never loaded {missing}: the check would pass vacuously"
    assert len(rows) > 500


def shim_env(log: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SHIM), os.environ.get("PYTHONPATH", "")) if p)
    return {
        "PYTHONPATH": path,
        "SLOPPY_PURITY_LOG": str(log),
        "SLOPPY_HOOK_KEY": KEY,
        # keyring's full backend discovery (SecretStorage, jeepney, cryptography), against a
        # session bus that is not there: the real import work, never a real keychain.
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/sloppy-test-bus",
        "XDG_CONFIG_HOME": str(log.parent / "xdg-config"),  # no keyringrc.cfg choosing one
    }


@pytest.fixture(autouse=True)
def _real_keyring_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)


def test_headless_with_hooks(tmp_path: Path) -> None:
    log = tmp_path / "loads.tsv"
    proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", "0"], shim_env(log))
    try:
        line = proc.wait_for_line("hooks: listening on http://127.0.0.1:", 60)
        api = ApiHookClient(line.rsplit(" ", 1)[1], KEY, timeout=130)
        status = api.get("/api/warmup_wait?timeout=120")
        assert status["done"] and status["failed"] == []
        proc.popen.send_signal(signal.SIGTERM)
        assert proc.popen.wait(10) == 0
    finally:
        proc.kill()
    check(loads(log), warm_modules(hooks=True))


@pytest.mark.gui
def test_gui(tmp_path: Path) -> None:
    display = Display()
    try:
        log = tmp_path / "loads.tsv"
        report = tmp_path / "report.json"
        env = {**shim_env(log), **display.env()}
        proc = Proc(["--exit-when-warm", "--startup-report", str(report)], env)
        try:
            assert proc.popen.wait(120) == 0, "".join(proc.stderr)
        finally:
            proc.kill()
        assert json.loads(report.read_text())["warmup"]["failed"] == []
        check(loads(log), warm_modules(hooks=False))
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
        [sys.executable, "-c", code], env={**os.environ, **shim_env(log)}, check=True, timeout=60
    )
    rows = loads(log)
    assert ("MainThread", "numpy") in rows and any(m == "openai" for _, m in rows)
    with pytest.raises(AssertionError, match="numpy"):
        check(rows, ["openai"])
