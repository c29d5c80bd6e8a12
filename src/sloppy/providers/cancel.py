"""Stopping a reply: a token that closes the stream, even while it waits for the next chunk."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

#: ``socket.SHUT_RDWR`` (2 on POSIX and Windows): the socket module stays off the import of the
#: client and of the window's first frame (the SDKs bring it in on the lane).
SHUT_RDWR = 2


class CancelToken:
    """Cancels a streamed reply, even while it waits for the next chunk (it closes the stream)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            closers, self._closers = self._closers, []
        for close in closers:
            _close_quietly(close)

    def is_set(self) -> bool:
        return self._event.is_set()

    def on_cancel(self, close: Callable[[], None]) -> None:
        """Call ``close`` when cancelled (at once if already cancelled)."""
        with self._lock:
            if not self._event.is_set():
                self._closers.append(close)
                return
        _close_quietly(close)


def _close_quietly(close: Callable[[], None]) -> None:
    # A stream closed twice or mid-read: the cancellation still stands.
    with contextlib.suppress(Exception):
        close()


def no_register(_close: Callable[[], None]) -> None:
    return None


def abort(response: Any) -> None:
    """Close an HTTP response from another thread, waking a reader blocked in ``recv``.

    ``response.close()`` alone waits for the blocked read; shutting the socket down ends it.
    """
    if response is None:
        return
    stream = getattr(response, "extensions", {}).get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()
