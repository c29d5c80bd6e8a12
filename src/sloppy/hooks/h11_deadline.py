"""uvicorn's h11 protocol with deadlines for each request's head and body (slow-loris clients)."""

from __future__ import annotations

from typing import Any

#: A connection must deliver a complete request head within this many seconds.
HEADER_TIMEOUT_S = 10.0
#: ... and, once the head is in, the whole body within this many more (408 otherwise).
BODY_TIMEOUT_S = 10.0

H11_MODULE = "uvicorn.protocols.http.h11_impl"


def header_timeout_protocol(impl: Any) -> type:
    """uvicorn's h11 protocol with a deadline for each request head and body.

    uvicorn times out idle keep-alive connections but not a client that sends part of a
    request head, or a head and part of its body, and waits: without this, every such
    connection is held forever (an authenticated POST whose body never came, 35 s and more).
    """
    h11 = impl.h11

    class HeaderTimeoutProtocol(impl.H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._head_deadline = self.loop.call_later(HEADER_TIMEOUT_S, self._head_timeout)
            self._body_deadline: Any = None
            self._body_cycle: Any = None

        def handle_events(self) -> None:
            super().handle_events()
            cycle = self.cycle
            if (
                cycle is not None
                and cycle is not self._body_cycle
                and self.conn.their_state is h11.SEND_BODY
            ):
                self._cancel_body_deadline()
                self._body_cycle = cycle
                self._body_deadline = self.loop.call_later(
                    BODY_TIMEOUT_S, self._body_timeout, cycle
                )

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._cancel_body_deadline()
            self._head_deadline.cancel()
            self._head_deadline = self.loop.call_later(HEADER_TIMEOUT_S, self._head_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_deadline.cancel()
            self._cancel_body_deadline()
            super().connection_lost(exc)

        def _cancel_body_deadline(self) -> None:
            if self._body_deadline is not None:
                self._body_deadline.cancel()
                self._body_deadline = None

        def _head_timeout(self) -> None:
            waiting_for_head = self.conn.their_state is h11.IDLE and (
                self.cycle is None or self.cycle.response_complete
            )
            if waiting_for_head and not self.transport.is_closing():
                self.transport.close()

        def _body_timeout(self, cycle: Any) -> None:
            self._body_deadline = None
            late = self.cycle is cycle and self.conn.their_state is h11.SEND_BODY
            if not late or self.transport.is_closing():
                return
            if self.conn.our_state is h11.SEND_RESPONSE:  # nothing sent yet: say why
                body = f"request body not complete within {BODY_TIMEOUT_S:g} s\n".encode()
                headers = [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ]
                for event in (
                    h11.Response(status_code=408, headers=headers, reason=b"Request Timeout"),
                    h11.Data(data=body),
                    h11.EndOfMessage(),
                ):
                    self.transport.write(self.conn.send(event))
            # The route waiting for the body sees a disconnect; its answer goes nowhere.
            self.transport.close()

    return HeaderTimeoutProtocol
