"""The hook API's front door: a pure ASGI middleware that checks head size, key, Host and body
size.

Instead of a FastAPI dependency (which runs after the body is read and parsed), ``Guard``
decides on the request head alone, before anything else runs.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

#: Request bodies over this are refused with 413 (a 200,000-character prompt, every
#: character JSON-escaped, stays below it).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: Request heads (request line and headers) over this are refused with 431; a real client's
#: is well under 1 KiB. The h11 parser's buffer for an unfinished head has the same bound.
MAX_HEAD_BYTES = 16 * 1024
#: Names that always reach a loopback listener; anything else is refused (DNS rebinding).
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _host_name(header: bytes) -> str:
    """The host of a ``Host`` header without its port (``[::1]:80`` -> ``::1``)."""
    text = header.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


class Guard:
    """Pure ASGI middleware, in front of everything: head size, key, Host and body size, before
    any read.

    Instead of a FastAPI dependency (which runs after the body is read and parsed), the key is
    checked on the headers alone: an unauthenticated request gets 401 without its body being
    read, whatever that body is. The connection is closed after a refusal.
    """

    def __init__(
        self,
        app: ASGIApp,
        key: str,
        *,
        web_host: str,
        too_large: Any,
        open_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.key = key.encode()
        self.open_paths = open_paths  # the test-only schema route, when served
        self.any_ip = _is_wildcard(web_host)
        self.hosts = LOOPBACK_NAMES | {web_host.strip("[]").lower()}
        self.too_large = too_large  # raised from receive() past the limit: a 413 from FastAPI

    def __getattr__(self, name: str) -> Any:
        """Anything else is the wrapped FastAPI app's (``openapi()``, ``routes``, ...)."""
        if name == "app":  # not set yet (copying, unpickling): never recurse
            raise AttributeError(name)
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _head_bytes(scope) > MAX_HEAD_BYTES:
            await _refuse(send, 431, f"request head over {MAX_HEAD_BYTES} bytes")
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-api-key", b"")
        if scope["path"] in self.open_paths and scope["method"] == "GET":
            pass
        elif not given or not secrets.compare_digest(given, self.key):
            await _refuse(send, 401, "missing or wrong X-API-Key")
            return
        host = headers.get(b"host")
        if host is not None and not self._host_ok(_host_name(host)):
            await _refuse(send, 400, "Host header names neither loopback nor --web-host")
            return
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await _refuse(send, 413, f"request body over {MAX_BODY_BYTES} bytes")
            return
        await self.app(scope, self._counting(receive), send)

    def _host_ok(self, host: str) -> bool:
        if host in self.hosts:
            return True
        if not self.any_ip:
            return False
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True

    def _counting(self, receive: Receive) -> Receive:
        """``receive`` that stops a chunked body at ``MAX_BODY_BYTES`` (no Content-Length)."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise self.too_large(status_code=413, detail=f"over {MAX_BODY_BYTES} bytes")
            return message

        return counted


def _head_bytes(scope: Scope) -> int:
    """The size of the request head as sent: the request line, ``name: value`` lines, the blank
    line (as parsed: whitespace around values is not counted)."""
    query = scope.get("query_string") or b""
    target = len(scope.get("raw_path") or b"") + (len(query) + 1 if query else 0)
    line = len(scope["method"]) + 1 + target + len(" HTTP/1.1\r\n")
    return line + sum(len(k) + len(v) + 4 for k, v in scope["headers"]) + 2


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
