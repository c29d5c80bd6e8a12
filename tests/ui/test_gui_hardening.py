"""The real GUI under Xvfb when things go wrong: an early Ctrl+C, an unreadable discussion."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import env_for

from sloppy.store import discussions
from tests.support.gui import poll
from tests.support.live import Proc
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]
KEY = "gui-hardening-key-0123456789"


@pytest.mark.usefixtures("sigint_deliverable")
@pytest.mark.parametrize("delay", [0.05, 0.1, 0.2, 0.5, 1.5])
def test_an_early_sigint_closes_the_gui_cleanly(display: Display, delay: float) -> None:
    proc = Proc([], display.env())
    try:
        time.sleep(delay)
        proc.popen.send_signal(signal.SIGINT)
        code = proc.popen.wait(15)
    finally:
        proc.kill()
    time.sleep(0.1)
    err = "".join(proc.stderr)
    if code != 0 and delay < 0.1:  # the interpreter's own start: Python's default handling
        assert "launcher/" not in err and "sloppy/" not in err, err
        return
    assert code == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "ERROR" not in err


def test_an_unreadable_discussion_is_toasted_and_reported(
    display: Display, stub, sloppy_home: Path
) -> None:
    path = discussions.file_of("default")
    path.parent.mkdir(parents=True)
    huge_at = "1" + "0" * 400  # an integer no float can hold: OverflowError when parsed
    bad = '{"schema": 1, "messages": [{"role": "user", "text": "mine", "at": ' + huge_at + "}]}"
    path.write_text(bad)
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY, **display.env()}
    proc = Proc(["--enable-test-hooks", "--hook-port", "0"], env)
    try:
        api = ApiHookClient(proc.wait_for_hook_url(90), KEY, timeout=60)
        state = poll(
            lambda: api.get("/api/gui/state"),
            lambda s: any("default.json was unreadable" in t for t in s["toasts"]),
        )
        assert state["messages"] == []
        [event] = api.get("/api/status")["set_aside"]
        assert event["file"] == str(path) and "timestamp out of range" in event["reason"]
        [aside] = path.parent.glob("default.json.bad-*")
        assert event["set_aside_as"] == str(aside) and aside.read_text() == bad
        proc.stop(within=5)
    finally:
        proc.kill()
    err = "".join(proc.stderr)
    assert len([line for line in err.splitlines() if "default.json" in line]) == 1
