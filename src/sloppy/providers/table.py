"""The provider table: every fact about each provider, one row each. Stdlib only (lean)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


# NamedTuples, not dataclasses: this module is on the first-frame path, and a NamedTuple class
# costs a fraction of a dataclass to create.
class ClientOptions(NamedTuple):
    """What every client builder gets besides the SDK module (the key is never logged)."""

    key: str
    base_url: str | None
    timeout_s: float
    max_retries: int
    #: Called with each HTTP response where the SDK allows it (cancelling a Gemini stream).
    on_response: Callable[[Any], None] | None = None

    def __repr__(self) -> str:
        return f"ClientOptions(key=***, base_url={self.base_url!r}, timeout_s={self.timeout_s})"


class Provider(NamedTuple):
    """One provider: every fact about it, in one row of ``PROVIDER_TABLE``.

    ``sdk`` names a warm-listed module: the callers reach it through ``_require_warmed`` and hand
    it to ``build``, so nothing here imports an SDK. The keychain entry is the provider ``id``
    (service ``store.keychain.SERVICE``).
    """

    id: str
    label: str
    #: The SDK's import name: a row of ``warm.warmlist.WARM_LIST`` (label, distribution).
    sdk: str
    default_model: str
    #: The SDK's own environment variables, in the order the SDK prefers them.
    key_env: tuple[str, ...]
    base_url_env: str
    #: How replies are streamed: a key of ``streams.STREAMERS`` (the SDK's chat API).
    chat_api: str
    build: Callable[[Any, ClientOptions], Any]
    list_models: Callable[[Any], list[str]]
    #: A local server takes any key: no key needed once a base URL is set.
    key_optional: bool = False
    #: Offered by the hook API's ``POST /api/send`` (the contract names the cloud providers).
    hook_api: bool = True


def _openai_client(sdk: Any, o: ClientOptions) -> Any:
    return sdk.OpenAI(
        api_key=o.key, base_url=o.base_url, timeout=o.timeout_s, max_retries=o.max_retries
    )


def _anthropic_client(sdk: Any, o: ClientOptions) -> Any:
    return sdk.Anthropic(
        api_key=o.key, base_url=o.base_url, timeout=o.timeout_s, max_retries=o.max_retries
    )


def _gemini_client(sdk: Any, o: ClientOptions) -> Any:
    types = sdk.types
    retry = types.HttpRetryOptions(attempts=o.max_retries + 1, initial_delay=0.2, max_delay=2)
    hooks = {"event_hooks": {"response": [o.on_response]}} if o.on_response else None
    options = types.HttpOptions(
        base_url=o.base_url,
        timeout=int(o.timeout_s * 1000),
        retry_options=retry,
        client_args=hooks,
    )
    return sdk.Client(api_key=o.key, http_options=options)


def _model_ids(client: Any) -> list[str]:
    return [m.id for m in client.models.list()]


def _gemini_chat_models(client: Any) -> list[str]:
    return [
        (m.name or "").removeprefix("models/")
        for m in client.models.list()
        if not m.supported_actions or GEMINI_CHAT_ACTION in m.supported_actions
    ]


#: Gemini lists embedding and other models too; only these can chat.
GEMINI_CHAT_ACTION = "generateContent"

#: The one provider table: models, the client, the hook API's schema, the panels, the key
#: store, the warm list and ``--version`` all derive from it. The first row is the default.
PROVIDER_TABLE: tuple[Provider, ...] = (
    Provider(
        id="openai",
        label="OpenAI",
        sdk="openai",
        default_model="gpt-4o-mini",
        key_env=("OPENAI_API_KEY",),
        base_url_env="OPENAI_BASE_URL",
        chat_api="chat_completions",
        build=_openai_client,
        list_models=_model_ids,
    ),
    Provider(
        id="anthropic",
        label="Anthropic",
        sdk="anthropic",
        default_model="claude-sonnet-4-5",
        key_env=("ANTHROPIC_API_KEY",),
        base_url_env="ANTHROPIC_BASE_URL",
        chat_api="messages",
        build=_anthropic_client,
        list_models=_model_ids,
    ),
    Provider(
        id="gemini",
        label="Gemini",
        sdk="google.genai",
        default_model="gemini-2.5-flash",
        # google-genai prefers GOOGLE_API_KEY when both are set; so do we.
        key_env=("GOOGLE_API_KEY", "GEMINI_API_KEY"),
        base_url_env="GOOGLE_GEMINI_BASE_URL",
        chat_api="generate_content",
        build=_gemini_client,
        list_models=_gemini_chat_models,
    ),
    Provider(
        id="openai_compatible",
        label="OpenAI-compatible (local server)",
        sdk="openai",
        default_model="local-model",
        key_env=("OPENAI_API_KEY",),
        base_url_env="OPENAI_BASE_URL",
        chat_api="chat_completions",
        build=_openai_client,
        list_models=_model_ids,
        key_optional=True,
        hook_api=False,
    ),
)

# Views of the table, for the callers that need one fact for every provider.
PROVIDER_BY_ID: dict[str, Provider] = {p.id: p for p in PROVIDER_TABLE}
PROVIDERS: tuple[str, ...] = tuple(PROVIDER_BY_ID)
DEFAULT_PROVIDER = PROVIDERS[0]
PROVIDER_LABELS: dict[str, str] = {p.id: p.label for p in PROVIDER_TABLE}
#: The warm-listed SDK each provider needs.
PROVIDER_SDK: dict[str, str] = {p.id: p.sdk for p in PROVIDER_TABLE}
DEFAULT_MODELS: dict[str, str] = {p.id: p.default_model for p in PROVIDER_TABLE}
#: What ``POST /api/send`` accepts.
HOOK_PROVIDERS: tuple[str, ...] = tuple(p.id for p in PROVIDER_TABLE if p.hook_api)


#: A listing older than this is fetched again in the background once a key works.
MODEL_LIST_TTL_S = 24 * 3600.0
#: "Test connection" and model listing: one quick attempt, no retries.
MODEL_LIST_TIMEOUT_S = 15.0
