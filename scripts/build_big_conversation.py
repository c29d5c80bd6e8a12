"""Build a big conversation and measure how it opens and saves.

The first turns go through the hook API of a real ``sloppy --headless`` talking to the
loopback provider stub (long replies); sending 200 MB of history on every request would take
hours, so the rest is appended with the store's own writer (``discussions.save``, in batches),
as the app appends each message. Then a fresh process measures: opening (``load``), saving one
more message (an append), listing cold and again. Prints the figures (docs/measurements.md).

    .venv/bin/python scripts/build_big_conversation.py --mb 200 [--home DIR] [--turns 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sloppy_testkit.hook_client import LISTENING, ApiHookClient, url_from_line
from sloppy_testkit.provider_stub import env_for, start_stub

KEY = "big-conversation-hook-key-5e1f"
NAME = "default"

MEASURE = """
import json, resource, sys, time
from sloppy.store import discussions
from sloppy.store.messages import Message
t0 = time.perf_counter()
d, problem = discussions.load(sys.argv[1])
t1 = time.perf_counter()
assert problem is None and d is not None, problem
d.messages.append(Message("user", "one more"))
d = discussions.save(d)
t2 = time.perf_counter()
d.messages.append(Message("assistant", "and its reply"))
discussions.save(d)
t3 = time.perf_counter()
discussions._listed.clear()
discussions._states.clear()
t4 = time.perf_counter()
discussions.listing()
t5 = time.perf_counter()
discussions.listing()
t6 = time.perf_counter()
print(json.dumps({
    "messages": len(d.messages),
    "load_s": t1 - t0,
    "save_one_ms": (t2 - t1) * 1000,
    "save_next_ms": (t3 - t2) * 1000,
    "listing_cold_s": t5 - t4,
    "listing_again_ms": (t6 - t5) * 1000,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def hook_turns(home: Path, turns: int, words: int) -> None:
    """``turns`` prompts through ``/api/send`` of a real headless sloppy (the stub replies)."""
    stub = start_stub()
    stub.reply_words = words
    env = {**os.environ, **env_for(stub), "SLOPPY_HOME": str(home), "SLOPPY_HOOK_KEY": KEY}
    sloppy = str(Path(sys.executable).with_name("sloppy"))
    with tempfile.TemporaryFile("w+") as err:  # where it prints its URL
        proc = subprocess.Popen(
            [sloppy, "--headless", "--enable-test-hooks", "--hook-port", "0"],
            env=env,
            stdout=err,
            stderr=subprocess.STDOUT,
        )
        try:
            url = None
            for _ in range(900):
                err.seek(0)
                line = next((ln for ln in err if LISTENING in ln), None)
                url = url_from_line(line) if line else None
                if url:
                    break
                time.sleep(0.1)
            assert url, "sloppy --headless never listened"
            api = ApiHookClient(url, KEY, timeout=300)
            for i in range(turns):
                body = {"provider": "openai", "model": "gpt-stub-mini", "prompt": f"turn {i}"}
                code, reply = api.request("POST", "/api/send", body)
                assert code == 200, reply
        finally:
            proc.terminate()
            proc.wait(60)
            stub.close()


def append_until(target: int, message_bytes: int, batch: int) -> tuple[int, float]:
    """Append user/assistant pairs with the store's writer until the file holds ``target``
    bytes; returns (saves, seconds)."""
    from sloppy.store import discussions
    from sloppy.store.messages import Message

    d, problem = discussions.load(NAME)
    assert problem is None and d is not None, problem
    path = discussions.file_of(NAME)
    filler = ("lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 200)[:message_bytes]
    saves, t0, n = 0, time.perf_counter(), 0
    while path.stat().st_size < target:
        for _ in range(batch):
            n += 1
            role = "user" if n % 2 else "assistant"
            d.messages.append(Message(role, f"## message {n}\n\n{filler}\n\n- point {n}"))
        d = discussions.save(d)
        saves += 1
    return saves, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=200.0)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--reply-words", type=int, default=2000)
    ap.add_argument("--message-kb", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="sloppy-big-"))
    os.environ["SLOPPY_HOME"] = str(home)
    t0 = time.perf_counter()
    hook_turns(home, args.turns, args.reply_words)
    hooked = time.perf_counter() - t0
    saves, appended = append_until(
        int(args.mb * 1024 * 1024), int(args.message_kb * 1024), args.batch
    )
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, NAME],
        env={**os.environ, "SLOPPY_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(out.stdout)
    from sloppy.store import discussions

    figures["file_mb"] = discussions.file_of(NAME).stat().st_size / 1024 / 1024
    figures["hook_turns"], figures["hook_s"] = args.turns, hooked
    figures["store_saves"], figures["store_s"] = saves, appended
    figures["home"] = str(home)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
