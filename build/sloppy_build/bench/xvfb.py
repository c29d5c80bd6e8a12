"""A private Xvfb display: `sloppy bench compare` (gui mode), the benchmark and the GUI tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence


def start_xvfb(
    size: str = "1280x800x24", extra: Sequence[str] = ()
) -> tuple[subprocess.Popen[bytes], str]:
    """A new Xvfb server on a free display number: ``(process, ":N")``; ``extra``: more
    options (``-extension GLX``: a display without OpenGL)."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp", *extra],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    if not number:
        proc.kill()
        raise RuntimeError("Xvfb did not report a display number")
    return proc, f":{number}"
