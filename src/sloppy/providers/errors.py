"""Provider errors: every SDK or transport failure as one readable ``ProviderError``.

Instead of showing an SDK's exception (its class, its text, maybe part of a rejected key),
``to_provider_error`` maps it to what happened, and ``redacted`` keeps the key out of it.
"""

from __future__ import annotations

from typing import TypedDict

from sloppy.warm.engine import WarmupError

#: How openai and anthropic start an error's text (the status follows).
SDK_PREFIX = "Error code:"
#: A proxy's HTML error page is not a message: longer ones are cut to this.
MAX_MESSAGE_CHARS = 300
#: What an HTTP status is called before the server's own words (5xx: "server error").
_LABELS = {
    401: "the API key was rejected",
    404: "not found (is the model name right?)",
    429: "rate limited",
}


class ProviderErrorDict(TypedDict):
    """The hook API's ``{"error": ...}`` body for a failed send."""

    provider: str
    status: int | None
    message: str


class ProviderError(Exception):
    """A provider call failed: which provider, the HTTP status if any, and a readable message."""

    def __init__(self, provider: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}" + (f" (HTTP {status})" if status else ""))
        self.provider = provider
        self.status = status
        self.message = message

    def to_json(self) -> ProviderErrorDict:
        return ProviderErrorDict(provider=self.provider, status=self.status, message=self.message)


#: The message of a request that timed out (a stream that got no data for the read timeout).
TIMED_OUT = "the request timed out"


def _status_of(exc: BaseException) -> int | None:
    """The HTTP error status; None for a success status (an error event inside a stream)."""
    for attr in ("status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 400 <= value <= 599:
            return value
    return None


def _message_of(exc: BaseException, status: int | None) -> str:
    kind = type(exc).__name__
    if "Timeout" in kind or ("timeout" in str(exc).lower() and status is None):
        return TIMED_OUT
    if "Connect" in kind or "Connection" in kind:
        return "could not connect to the server"
    msg = _server_message(exc, status) or kind
    label = _LABELS.get(status) if status is not None else None
    if label is None and status is not None and status >= 500:
        label = "server error"
    return f"{label}: {msg}" if label else msg


def _server_message(exc: BaseException, status: int | None) -> str:
    """What the server said, once: without the SDK's own status prefix, on one short line.

    openai and anthropic say ``Error code: 500 - <body>`` (anthropic's body as a dict's repr)
    and keep the parsed body in ``.body``; google-genai keeps the server's text in ``.message``.
    ``ProviderError`` adds the status itself.
    """
    msg = _body_message(getattr(exc, "body", None))
    if msg is None:
        raw = getattr(exc, "message", None) or str(exc)
        msg = _without_status(str(raw), status)
    msg = " ".join(msg.split())
    if len(msg) > MAX_MESSAGE_CHARS:
        msg = msg[: MAX_MESSAGE_CHARS - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"
    return msg


def _body_message(body: object) -> str | None:
    """``error.message`` of a parsed error body (anthropic's envelope, openai's error object)."""
    if not isinstance(body, dict):
        return None
    for source in (body.get("error"), body):
        msg = source.get("message") if isinstance(source, dict) else None
        if isinstance(msg, str) and msg.strip():
            return msg
    return None


def _without_status(text: str, status: int | None) -> str:
    """``text`` without a leading ``Error code: 500 - `` or ``500 `` (the status is said later)."""
    head, sep, rest = text.partition(" - ")
    if sep and head.startswith(SDK_PREFIX) and head[len(SDK_PREFIX) :].strip().isdigit():
        return rest
    if status is not None and text.startswith(f"{status} "):
        return text[len(str(status)) + 1 :]
    return text


def redacted(err: ProviderError, key: str | None) -> ProviderError:
    """``err`` without the key in its text (some servers echo part of a rejected key)."""
    message = err.message
    if err.status in (401, 403):
        message = "the API key was rejected"
    elif key and len(key) >= 6 and key in message:
        message = message.replace(key, "***")
    if message == err.message:
        return err
    return ProviderError(err.provider, message, err.status)


def to_provider_error(provider: str, exc: BaseException) -> ProviderError:
    """Map any SDK or transport exception to a ``ProviderError``."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, WarmupError):
        return ProviderError(provider, f"the SDK is unavailable: {exc.cause}")
    status = _status_of(exc)
    return ProviderError(provider, _message_of(exc, status), status)
