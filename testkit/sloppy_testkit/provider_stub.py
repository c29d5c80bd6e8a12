"""A loopback server speaking the OpenAI, Anthropic and Gemini wire formats (JSON and SSE).

Tests point the real SDKs at it through their base URLs. Faults are injected per provider:
an HTTP status, a stream dropped after N chunks, a stream that stalls after N chunks and never
ends, a slow reply, a malformed body. Model lists
answer each SDK's listing call (OpenAI and Anthropic ``GET /v1/models``, Gemini
``GET /v1beta/models``); a key in ``rejected_keys`` gets that provider's 401.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sloppy.providers.table import PROVIDER_BY_ID, PROVIDER_TABLE
from sloppy.warm.warmlist import SDKS

#: The providers the stub answers (each in its own wire format): the table's cloud rows.
PROVIDERS: tuple[str, ...] = tuple(p.id for p in PROVIDER_TABLE if not p.key_optional)
#: The SDK modules a test warms to talk to the stub.
SDK_MODULES: tuple[str, ...] = tuple(e.module for e in SDKS)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
}
GEMINI_STATUS = {
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    400: "INVALID_ARGUMENT",
}


@dataclass
class Fault:
    status: int | None = None  # answer with this HTTP error
    drop_after: int | None = None  # close the stream after this many chunks
    delay_s: float = 0.0  # sleep before answering
    token_delay_s: float = 0.0  # sleep between streamed chunks
    malformed: bool = False  # answer 200 with a body that is not the format
    times: int | None = None  # apply to this many requests, then stop (None: always)
    stall_after: int | None = None  # after this many chunks, send nothing more (never ends)


@dataclass
class Stub:
    server: ThreadingHTTPServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[str, Fault] = field(default_factory=dict)
    reply_words: int = 5
    #: Set when the stub stops (stalled streams end then).
    closed: threading.Event = field(default_factory=threading.Event)
    rejected_keys: set[str] = field(default_factory=set)
    models: dict[str, list[str]] = field(
        default_factory=lambda: {
            "openai": ["gpt-stub-mini", "gpt-stub-large", "text-embedding-stub"],
            "anthropic": ["claude-stub-haiku", "claude-stub-sonnet"],
            "gemini": ["gemini-stub-flash", "gemini-stub-pro"],
        }
    )

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(self, provider: str) -> str:
        return " ".join([f"Hello from the {provider} stub."] + ["word"] * (self.reply_words - 1))

    def tokens(self, provider: str) -> list[str]:
        words = self.reply(provider).split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]

    def fault(self, provider: str) -> Fault | None:
        f = self.faults.get(provider)
        if f is None:
            return None
        if f.times is not None:
            if f.times <= 0:
                return None
            f.times -= 1
        return f

    def count(self, provider: str) -> int:
        return sum(1 for r in self.requests if r["provider"] == provider)

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


def _provider_of(path: str, headers: dict[str, str] | None = None) -> str:
    if path.split("?", maxsplit=1)[0] in ("/v1/models", "/v1beta/models"):
        # The three SDKs list models at the same path (per version); their headers differ.
        headers = headers or {}
        if "x-goog-api-key" in headers:
            return "gemini"
        return "anthropic" if "anthropic-version" in headers else "openai"
    if path.startswith("/v1/chat/completions"):
        return "openai"
    if path.startswith("/v1/messages"):
        return "anthropic"
    if "generateContent" in path or "streamGenerateContent" in path:
        return "gemini"
    return "unknown"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stub: Stub

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _key(self, headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        return (
            auth.removeprefix("Bearer ")
            or headers.get("x-api-key", "")
            or headers.get("x-goog-api-key", "")
        )

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        provider = _provider_of(self.path, headers)
        self.stub.requests.append(
            {"provider": provider, "path": self.path, "body": None, "headers": headers}
        )
        if self._answered_by_fault(provider, headers, routed="models" in self.path) is None:
            return
        return self._json(200, self._model_list(provider))

    def _answered_by_fault(
        self, provider: str, headers: dict[str, str], *, routed: bool = True
    ) -> Fault | None:
        """The request's fault after its delay, or None when it was answered here already
        (no such route, an error status, a rejected key, a malformed body)."""
        fault = self.stub.fault(provider) or Fault()
        if fault.delay_s:
            time.sleep(fault.delay_s)
        if provider == "unknown" or not routed:
            self._json(404, {"error": {"message": f"no route {self.path}"}})
        elif fault.status:
            self._error(provider, fault.status)
        elif self._key(headers) in self.stub.rejected_keys:
            self._error(provider, 401)
        elif fault.malformed:
            self._raw(200, b"<html>this is not JSON</html>", "application/json")
        else:
            return fault
        return None

    def _model_list(self, provider: str) -> dict[str, Any]:
        names = self.stub.models.get(provider, [])
        if provider == "openai":
            data = [{"id": n, "object": "model", "created": 0, "owned_by": "stub"} for n in names]
            return {"object": "list", "data": data}
        if provider == "anthropic":
            data = [
                {"type": "model", "id": n, "display_name": n, "created_at": "2025-01-01T00:00:00Z"}
                for n in names
            ]
            first, last = (names[0], names[-1]) if names else (None, None)
            return {"data": data, "has_more": False, "first_id": first, "last_id": last}
        models = [
            {"name": f"models/{n}", "supportedGenerationMethods": ["generateContent"]}
            for n in names
        ]
        models.append({"name": "models/embedding-stub", "supportedGenerationMethods": ["embed"]})
        return {"models": models}

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        provider = _provider_of(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.stub.requests.append(
            {"provider": provider, "path": self.path, "body": body, "headers": headers}
        )
        fault = self._answered_by_fault(provider, headers)
        if fault is None:
            return
        stream = (
            body.get("stream") is True
            if provider != "gemini"
            else "streamGenerateContent" in self.path
        )
        if stream:
            return self._stream(provider, body, fault)
        return self._json(200, self._full(provider, body))

    # -- bodies ------------------------------------------------------------------------

    def _full(self, provider: str, body: dict[str, Any]) -> dict[str, Any]:
        text = self.stub.reply(provider)
        if provider == "openai":
            return {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "m"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 5, "total_tokens": 6},
            }
        if provider == "anthropic":
            return {**self._anthropic_message(body, text), "stop_reason": "end_turn"}
        return self._gemini_chunk(text, final=True)

    @staticmethod
    def _anthropic_message(body: dict[str, Any], text: str | None) -> dict[str, Any]:
        return {
            "id": "msg_stub",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "m"),
            "content": [{"type": "text", "text": text}] if text is not None else [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }

    @staticmethod
    def _gemini_chunk(text: str, *, final: bool) -> dict[str, Any]:
        cand: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        if final:
            cand["finishReason"] = "STOP"
        return {
            "candidates": [cand],
            "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1},
            "modelVersion": "stub",
        }

    def _events(self, provider: str, body: dict[str, Any]) -> list[bytes]:
        tokens = self.stub.tokens(provider)
        out: list[bytes] = []
        if provider == "openai":
            for tok in tokens:
                chunk = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body.get("model", "m"),
                    "choices": [{"index": 0, "delta": {"content": tok}, "finish_reason": None}],
                }
                out.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            last = dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
            out.append(b"data: " + json.dumps(last).encode() + b"\n\n")
            out.append(b"data: [DONE]\n\n")
        elif provider == "anthropic":

            def ev(name: str, data: dict[str, Any]) -> bytes:
                return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

            out.append(
                ev(
                    "message_start",
                    {"type": "message_start", "message": self._anthropic_message(body, None)},
                )
            )
            out.append(
                ev(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            for tok in tokens:
                out.append(
                    ev(
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": tok},
                        },
                    )
                )
            out.append(ev("content_block_stop", {"type": "content_block_stop", "index": 0}))
            out.append(
                ev(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": len(tokens)},
                    },
                )
            )
            out.append(ev("message_stop", {"type": "message_stop"}))
        else:
            for i, tok in enumerate(tokens):
                chunk = self._gemini_chunk(tok, final=i == len(tokens) - 1)
                out.append(b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n")
        return out

    # -- writing -----------------------------------------------------------------------

    def _stream(self, provider: str, body: dict[str, Any], fault: Fault) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for i, event in enumerate(self._events(provider, body)):
            if fault.stall_after is not None and i >= fault.stall_after:
                self._stall()
                return
            if fault.drop_after is not None and i >= fault.drop_after:
                self.wfile.flush()
                self.connection.shutdown(2)  # drop mid-stream: no terminator
                return
            try:
                self.wfile.write(event)
                self.wfile.flush()
            except OSError:  # the client went away (a cancelled stream)
                return
            if fault.token_delay_s:
                time.sleep(fault.token_delay_s)

    def _stall(self) -> None:
        """Keep the stream open without a byte until the client closes it (or the stub stops)."""
        self.wfile.flush()
        self.connection.settimeout(0.2)
        while not self.stub.closed.is_set():
            try:
                if self.connection.recv(1) == b"":
                    return  # the client went away (a cancelled or cut stream)
            except TimeoutError:
                continue
            except OSError:
                return

    def _error(self, provider: str, status: int) -> None:
        message = "stub error, as the test asked"  # no status in it: sloppy adds it once
        if provider == "openai":
            body: dict[str, Any] = {
                "error": {
                    "message": message,
                    "type": ERROR_TYPES.get(status, "api_error"),
                    "code": None,
                    "param": None,
                }
            }
        elif provider == "anthropic":
            body = {
                "type": "error",
                "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
            }
        else:
            body = {
                "error": {
                    "code": status,
                    "message": message,
                    "status": GEMINI_STATUS.get(status, "UNKNOWN"),
                }
            }
        self._json(status, body)

    def _json(self, status: int, obj: Any) -> None:
        self._raw(status, json.dumps(obj).encode(), "application/json")

    def _raw(self, status: int, payload: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def start_stub() -> Stub:
    """Start a stub on a free loopback port in a daemon thread."""
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    stub = Stub(server)
    handler.stub = stub  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, name="provider-stub", daemon=True).start()
    return stub


def base_urls(stub: Stub) -> dict[str, str]:
    """The base URL each SDK needs to reach the stub."""
    return {
        "openai": f"{stub.root}/v1",
        "anthropic": stub.root,
        "gemini": stub.root,
    }


def env_for(stub: Stub) -> dict[str, str]:
    """Environment that points every SDK at the stub with dummy keys."""
    urls = base_urls(stub)
    env = {}
    for provider in PROVIDERS:
        spec = PROVIDER_BY_ID[provider]
        env[spec.key_env[-1]] = f"sk-stub-{provider}"
        env[spec.base_url_env] = urls[provider]
    return env
