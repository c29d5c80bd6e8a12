"""uvicorn's h11 protocol with a deadline for each request head (slow-loris connections)."""

from __future__ import annotations

from typing import Any

#: A connection must deliver a complete request head within this many seconds.
HEADER_TIMEOUT_S = 10.0

H11_MODULE = "uvicorn.protocols.http.h11_impl"


def header_timeout_protocol(impl: Any) -> type:
    """uvicorn's h11 protocol with a deadline for each request head.

    uvicorn times out idle keep-alive connections but not a client that sends part of a
    request head and waits: without this, every such connection is held forever.
    """
    h11 = impl.h11

    class HeaderTimeoutProtocol(impl.H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._head_deadline = self.loop.call_later(HEADER_TIMEOUT_S, self._head_timeout)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._head_deadline.cancel()
            self._head_deadline = self.loop.call_later(HEADER_TIMEOUT_S, self._head_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_deadline.cancel()
            super().connection_lost(exc)

        def _head_timeout(self) -> None:
            waiting_for_head = self.conn.their_state is h11.IDLE and (
                self.cycle is None or self.cycle.response_complete
            )
            if waiting_for_head and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol
