"""User settings (theme, provider, model, base URL) in ``settings.json`` in the config dir."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from sloppy.store import files, paths

SCHEMA = 1
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Settings:
    theme: str = "default"
    provider: str = ""  # the provider table's first row
    model: str = ""
    base_url: str = ""
    discussion: str = "default"


def path() -> Path:
    return paths.config_dir() / "settings.json"


def load() -> Settings:
    """Saved settings; defaults if missing; a bad file is set aside (one log line)."""
    doc = files.read_json(path(), schema=SCHEMA)
    if not isinstance(doc, dict):
        return Settings()
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in doc.items() if k in known and isinstance(v, str)}
    return Settings(**values)


def save(settings: Settings) -> None:
    """Write atomically; an unusable config dir costs a warning, not a crash."""
    if paths.ensure_dir(path().parent) is None:
        return
    try:
        files.write_json_atomic(path(), {"schema": SCHEMA, **asdict(settings)}, indent=1)
    except OSError as exc:
        log.warning("cannot save settings: %s", exc)
