"""Plain data: messages, discussions, provider settings. Standard library only (lean)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "gemini", "openai_compatible")
PROVIDER_LABELS = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "gemini": "Gemini",
    "openai_compatible": "OpenAI-compatible (local server)",
}
#: The warm-listed SDK each provider needs.
PROVIDER_SDK = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google.genai",
    "openai_compatible": "openai",
}
DEFAULT_MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
    "openai_compatible": "local-model",
}
#: Where saved API keys live in the OS keychain: this service name, one entry per provider id.
KEYCHAIN_SERVICE = "sloppy"
#: A listing older than this is fetched again in the background once a key works.
MODEL_LIST_TTL_S = 24 * 3600.0
#: "Test connection" and model listing: one quick attempt, no retries.
MODEL_LIST_TIMEOUT_S = 15.0
#: Gemini lists embedding and other models too; only these can chat.
GEMINI_CHAT_ACTION = "generateContent"


@dataclass(slots=True)
class Message:
    """One turn: ``role`` is ``user`` or ``assistant``."""

    role: str
    text: str
    at: float = field(default_factory=time.time)
    error: bool = False


@dataclass(slots=True)
class Discussion:
    """A named conversation with its system prompt."""

    name: str = "default"
    system: str = "You are a helpful assistant."
    messages: list[Message] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"schema": 1, **asdict(self)}

    @classmethod
    def from_json(cls, obj: Any) -> Discussion:
        """Parse a saved discussion; raises ValueError on anything malformed."""
        if not isinstance(obj, dict) or obj.get("schema") != 1:
            raise ValueError("not a schema-1 discussion")
        raw = obj.get("messages")
        if not isinstance(raw, list):
            raise ValueError("messages is not a list")
        messages = []
        for m in raw:
            if not isinstance(m, dict) or not isinstance(m.get("text"), str):
                raise ValueError("malformed message")
            messages.append(
                Message(
                    role=str(m.get("role", "user")),
                    text=m["text"],
                    at=float(m.get("at", 0.0)),
                    error=bool(m.get("error", False)),
                )
            )
        return cls(
            name=str(obj.get("name", "default")),
            system=str(obj.get("system", "")),
            messages=messages,
        )


@dataclass(slots=True)
class ProviderSettings:
    """Which provider to talk to. Keys are never stored here: see ``api_keys.KeyStore``."""

    provider: str = "openai"
    model: str = DEFAULT_MODELS["openai"]
    base_url: str = ""
