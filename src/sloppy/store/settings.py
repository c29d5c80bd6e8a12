"""User settings (theme, provider, per-provider model and base URL, input and view choices) in
``settings.json`` in the config dir.

Every value is checked on load: one of the wrong type (an edited file, another version) falls
back to its default with one log line naming the keys, and the rest still load.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sloppy.store import discussions, files, paths

SCHEMA = 1
log = logging.getLogger(__name__)

#: ``send_key`` values: Enter sends (Shift+Enter is a new line), or Ctrl+Enter sends.
SEND_KEYS = ("ctrl+enter", "enter")
FONT_SCALE_MIN, FONT_SCALE_MAX = 0.6, 2.5
#: Bounds of ``stream_idle_s`` (a stream without data is cut) and ``stream_total_s`` (any
#: stream is cut), in seconds.
STREAM_IDLE_MIN, STREAM_IDLE_MAX = 1.0, 600.0
STREAM_TOTAL_MIN, STREAM_TOTAL_MAX = 1.0, 7200.0


def clamp_font_scale(value: float) -> float:
    return min(FONT_SCALE_MAX, max(FONT_SCALE_MIN, value))


@dataclass(slots=True)
class Settings:
    theme: str = "default"
    provider: str = ""  # the provider table's first row
    discussion: str = "default"
    #: Per provider id: ``{"model": ..., "base_url": ...}``, kept across switches and restarts.
    providers: dict[str, dict[str, str]] = field(default_factory=dict)
    send_key: str = "ctrl+enter"
    font_scale: float = 1.0
    side_panel: bool = True
    #: A streamed reply is cut after this many seconds without data, and after
    #: ``stream_total_s`` in all (shown as an error on the reply; nothing of it is sent).
    stream_idle_s: float = 60.0
    stream_total_s: float = 900.0

    def model_for(self, provider: str) -> str:
        return self.providers.get(provider, {}).get("model", "")

    def base_url_for(self, provider: str) -> str:
        return self.providers.get(provider, {}).get("base_url", "")

    def remember(
        self, provider: str, *, model: str | None = None, base_url: str | None = None
    ) -> None:
        """Keep ``provider``'s model and/or base URL (an empty value is kept as "default")."""
        entry = self.providers.setdefault(provider, {})
        if model is not None:
            entry["model"] = model
        if base_url is not None:
            entry["base_url"] = base_url

    def use_provider(self, provider: str) -> None:
        """Make ``provider`` the current one. Values saved while no provider was chosen (the
        table's first row, stored under "") become its own if it has none yet."""
        self.provider = provider
        unnamed = self.providers.pop("", None)
        if unnamed is not None and provider:
            self.providers.setdefault(provider, unnamed)

    # The current provider's model and base URL (older call sites and older files).
    @property
    def model(self) -> str:
        return self.model_for(self.provider)

    @model.setter
    def model(self, value: str) -> None:
        self.remember(self.provider, model=value)

    @property
    def base_url(self) -> str:
        return self.base_url_for(self.provider)

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.remember(self.provider, base_url=value)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"schema": SCHEMA}
        for f in fields(self):
            value = getattr(self, f.name)
            doc[f.name] = {k: dict(v) for k, v in value.items()} if f.name == "providers" else value
        # Older versions read the current provider's model and base URL at the top level.
        doc["model"], doc["base_url"] = self.model, self.base_url
        return doc


def path() -> Path:
    return paths.config_dir() / "settings.json"


def load() -> Settings:
    """Saved settings; defaults if missing; a bad file is set aside (one log line)."""
    doc = files.read_json(path(), schema=SCHEMA)
    if not isinstance(doc, dict):
        return Settings()
    return from_json(doc)


def from_json(doc: dict[str, Any]) -> Settings:
    """Settings from a saved document: a value of the wrong type gets its default (logged)."""
    s = Settings()
    wrong: list[str] = []
    for name, check in _CHECKS.items():
        if name not in doc:
            continue
        value = check(doc[name])
        if value is None:
            wrong.append(name)
        else:
            setattr(s, name, value)
    if "providers" not in doc:
        # A file from before per-provider entries: its model and base URL were the current one's.
        for key in ("model", "base_url"):
            value = doc.get(key)
            if isinstance(value, str) and value:
                s.remember(s.provider, **{key: value})
            elif key in doc and not isinstance(value, str):
                wrong.append(key)
    if wrong:
        log.warning(
            "settings: %s had the wrong type or value; using the defaults", ", ".join(wrong)
        )
    return s


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _discussion(value: Any) -> str | None:
    """A discussion's own name (a hand-edited alias or an overlong name would save elsewhere)."""
    return value if isinstance(value, str) and discussions.valid_name(value) else None


def _send_key(value: Any) -> str | None:
    return value if value in SEND_KEYS else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _scale(value: Any) -> float | None:
    number = _number(value)
    return clamp_font_scale(number) if number is not None else None


def _idle(value: Any) -> float | None:
    number = _number(value)
    return min(STREAM_IDLE_MAX, max(STREAM_IDLE_MIN, number)) if number is not None else None


def _total(value: Any) -> float | None:
    number = _number(value)
    return min(STREAM_TOTAL_MAX, max(STREAM_TOTAL_MIN, number)) if number is not None else None


def _providers(value: Any) -> dict[str, dict[str, str]] | None:
    if not isinstance(value, dict):
        return None
    kept: dict[str, dict[str, str]] = {}
    for provider, entry in value.items():
        if not isinstance(entry, dict):
            return None
        if not all(isinstance(v, str) for v in entry.values()):
            return None
        kept[provider] = {k: v for k, v in entry.items() if k in ("model", "base_url")}
    return kept


_CHECKS = {
    "theme": _text,
    "provider": _text,
    "discussion": _discussion,
    "providers": _providers,
    "send_key": _send_key,
    "font_scale": _scale,
    "side_panel": _flag,
    "stream_idle_s": _idle,
    "stream_total_s": _total,
}


def save(settings: Settings) -> None:
    """Write atomically; an unusable config dir costs a warning, not a crash."""
    if paths.ensure_dir(path().parent) is None:
        return
    try:
        files.write_json_atomic(path(), settings.to_json(), indent=1)
    except OSError as exc:
        log.warning("cannot save settings: %s", exc)
