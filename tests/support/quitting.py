"""Quitting a real sloppy with work in flight: a slow stream, a warm import that never ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import Fault, Stub

from tests.support.live import Proc

#: A module that sleeps on import: SLOPPY_WARM_EXTRA names it, so the warm lane is stuck in it.
SLOW_WARM = "sloppy_slow_warm"
#: The whole quit, from the close (or the signal) to the process's exit, on a loaded machine
#: (it measures 0.2-0.5 s: docs/design.md, "Quitting").
QUIT_BOUND_S = 1.5


def slow_warm_env(tmp_path: Path) -> dict[str, str]:
    """Environment whose warm-up includes ``SLOW_WARM``, an import that takes a minute."""
    mods = tmp_path / "slow-mods"
    mods.mkdir(exist_ok=True)
    (mods / f"{SLOW_WARM}.py").write_text("import time\n\ntime.sleep(60)\n")
    return {"PYTHONPATH": str(mods), "SLOPPY_WARM_EXTRA": SLOW_WARM}


def wait_warming_slow(api: ApiHookClient) -> None:
    """Until the warm lane is inside ``SLOW_WARM``'s import (bounded by polls)."""
    for _ in range(1200):
        if SLOW_WARM in api.get("/api/warmup_status")["in_flight"]:
            return
        time.sleep(0.1)
    raise AssertionError(f"{SLOW_WARM} never started warming")


def start_slow_stream(api: ApiHookClient, stub: Stub, prompt: str) -> None:
    """Send ``prompt`` to the stub's OpenAI, which streams a long reply slowly; return once
    a few chunks are in (the request is answered on a daemon thread, or cut by the quit)."""
    stub.reply_words = 400
    stub.faults["openai"] = Fault(token_delay_s=0.1)
    before = stub.count("openai")
    threading.Thread(target=api.send, args=("openai", "m", prompt), daemon=True).start()
    for _ in range(600):
        if stub.count("openai") > before:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the stub never got the request")
    time.sleep(1.0)  # about ten chunks


def timed_exit(proc: Proc, trigger: Callable[[], None]) -> float:
    """Seconds from ``trigger()`` (a close, a signal) to the process's exit; asserts exit 0."""
    t0 = time.monotonic()
    trigger()
    code = proc.popen.wait(30)
    elapsed = time.monotonic() - t0
    assert code == 0, "".join(proc.stderr)[-3000:]
    return elapsed


def is_partial(text: str, full: str) -> bool:
    """``text`` is the start of ``full`` that came before the stop (with any stop mark)."""
    first = full.partition(" word")[0]
    return text.startswith(first) and text.count("word") < full.count("word")
