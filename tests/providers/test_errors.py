"""``to_provider_error`` on each SDK's error shape, built by hand (the real SDKs raising them
against the stub are in ``test_client``): the status said once, the server's words kept."""

from __future__ import annotations

from typing import Any

import pytest

from sloppy.providers.errors import MAX_MESSAGE_CHARS, ProviderError, to_provider_error
from sloppy.warm.engine import WarmupError


class StatusError(Exception):
    """openai's and anthropic's ``APIStatusError``: ``Error code: N - ...``, ``.body`` parsed."""

    def __init__(self, status: int, body: Any, text: str | None = None) -> None:
        self.status_code, self.body = status, body
        self.message = text if text is not None else f"Error code: {status} - {body}"
        super().__init__(self.message)


class GenaiError(Exception):
    """google-genai's ``APIError``: ``.code``, ``.status``, the server's text in ``.message``."""

    def __init__(self, code: int, message: str | None, status: str) -> None:
        self.code, self.message, self.status = code, message, status
        super().__init__(f"{code} {status}. {{'error': {{'message': {message!r}}}}}")


def said(exc: BaseException, provider: str = "p") -> str:
    return str(to_provider_error(provider, exc))


def test_anthropic_envelope_says_the_message_not_the_dict() -> None:
    body = {"type": "error", "error": {"type": "api_error", "message": "Internal error"}}
    assert said(StatusError(500, body), "anthropic") == (
        "anthropic: server error: Internal error (HTTP 500)"
    )


def test_openai_error_object_says_the_message_once() -> None:
    body = {"message": "The server had an error", "type": "server_error", "code": None}
    text = "Error code: 500 - The server had an error"
    assert said(StatusError(500, body, text), "openai") == (
        "openai: server error: The server had an error (HTTP 500)"
    )


def test_gemini_says_the_server_message() -> None:
    err = GenaiError(503, "The model is overloaded.", "UNAVAILABLE")
    assert said(err, "gemini") == "gemini: server error: The model is overloaded. (HTTP 503)"


def test_gemini_without_a_message_drops_its_status_prefix() -> None:
    err = GenaiError(500, None, "INTERNAL")
    assert said(err, "gemini").count("500") == 1


@pytest.mark.parametrize("status", [400, 404, 429, 502])
def test_a_body_that_is_not_json_loses_only_the_sdk_prefix(status: int) -> None:
    text = f"Error code: {status} - upstream said no"
    message = to_provider_error("openai", StatusError(status, None, text)).message
    assert message.endswith("upstream said no") and str(status) not in message


def test_an_html_error_page_is_cut_to_one_short_line() -> None:
    page = "<html>\n<body>\n" + "bad gateway " * 200 + "</body></html>"
    err = to_provider_error("openai", StatusError(502, page, f"Error code: 502 - {page}"))
    assert "\n" not in err.message
    assert len(err.message) <= len("server error: ") + MAX_MESSAGE_CHARS
    assert err.message.endswith("\N{HORIZONTAL ELLIPSIS}")


def test_an_error_event_inside_a_stream_has_no_http_status() -> None:
    """anthropic raises a mid-stream error event with the stream's 200: not an HTTP error."""
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    err = to_provider_error("anthropic", StatusError(200, body, str(body)))
    assert err.status is None and str(err) == "anthropic: Overloaded"


def test_rejected_key_and_transport_errors_keep_their_fixed_texts() -> None:
    assert to_provider_error("p", StatusError(401, None)).message.startswith("the API key was")
    assert to_provider_error("p", TimeoutError("timed out")).message == "the request timed out"
    assert to_provider_error("p", ConnectionRefusedError()).message == (
        "could not connect to the server"
    )


def test_provider_errors_and_warm_failures_pass_through() -> None:
    mine = ProviderError("p", "no model selected")
    assert to_provider_error("p", mine) is mine
    cold = to_provider_error("p", WarmupError("openai", "boom"))
    assert cold.status is None and "SDK is unavailable" in cold.message
