"""Progress of long tooling work (``sloppy build``, ``bench compare``, ``bench bisect``).

Instead of a progress library (rich, tqdm: a dependency for two kinds of line): on a terminal
one line redrawn in place (``\\r``) with a bar where the length is known; elsewhere (CI logs,
files) plain lines, one per stage or step, that read well in a log.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Event:
    """A stage started (``step`` 0), advanced (``step`` of ``total``, if known), or ended."""

    stage: str
    index: int  # 1-based stage number
    stages: int
    step: int = 0
    total: int | None = None
    detail: str = ""
    done: bool = False
    seconds: float = 0.0


class Stage:
    def __init__(self, owner: Stages, name: str, index: int) -> None:
        self.owner, self.name, self.index = owner, name, index
        self.t0 = time.monotonic()

    def step(self, step: int, total: int | None = None, detail: str = "") -> None:
        self.owner.emit(
            Event(
                self.name,
                self.index,
                len(self.owner.names),
                step,
                total,
                detail,
                seconds=time.monotonic() - self.t0,
            )
        )


class Stages:
    """Named stages in order; each ``with stages.stage(name)`` reports its start and end."""

    def __init__(self, names: list[str], report: Callable[[Event], None] | None) -> None:
        self.names, self.report = names, report

    def emit(self, event: Event) -> None:
        if self.report is not None:
            self.report(event)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[Stage]:
        stage = Stage(self, name, self.names.index(name) + 1)
        stage.step(0)
        yield stage
        self.emit(
            Event(
                name, stage.index, len(self.names), done=True, seconds=time.monotonic() - stage.t0
            )
        )


def bar(step: int, total: int, width: int = 24) -> str:
    filled = round(width * min(step, total) / total) if total else 0
    return "[" + "#" * filled + "-" * (width - filled) + f"] {step}/{total}"


class Printer:
    """Renders events: redrawn in place on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.t0 = time.monotonic()
        self._open = False

    def line(self, text: str, *, transient: bool = False) -> None:
        """A progress line: redrawn in place (``transient``) on a terminal, else printed."""
        if self.tty and transient:
            self.stream.write("\r\x1b[2K" + text)
            self._open = True
        else:
            if self._open:
                self.stream.write("\r\x1b[2K")
                self._open = False
            self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, e: Event) -> None:
        clock = f"[{time.monotonic() - self.t0:6.1f} s]"
        head = f"{clock} {e.index}/{e.stages} {e.stage}"
        if e.done:
            self.line(f"{head}: done in {e.seconds:.0f} s")
        elif e.step == 0:
            self.line(f"{head} ...")
        elif e.total:
            text = f"{head} {bar(e.step, e.total)} {e.detail}".rstrip()
            # In a log every step would be a line: only the milestones' names are worth it.
            self.line(text, transient=True) if self.tty else self.line(text)
        else:
            self.line(f"{head} {e.detail}".rstrip(), transient=True)
