"""Provider errors: every SDK or transport failure as one readable ``ProviderError``.

Instead of showing an SDK's exception (its class, its text, maybe part of a rejected key),
``to_provider_error`` maps it to what happened, and ``redacted`` keeps the key out of it.
"""

from __future__ import annotations

from typing import TypedDict

from sloppy.warm.engine import WarmupError


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


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    return None


def _message_of(exc: BaseException, status: int | None) -> str:
    kind = type(exc).__name__
    if "Timeout" in kind or ("timeout" in str(exc).lower() and status is None):
        return "the request timed out"
    if "Connect" in kind or "Connection" in kind:
        return "could not connect to the server"
    msg = getattr(exc, "message", None) or str(exc) or kind
    if status == 401:
        return f"the API key was rejected: {msg}"
    if status == 404:
        return f"not found (is the model name right?): {msg}"
    if status == 429:
        return f"rate limited: {msg}"
    return str(msg)


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
