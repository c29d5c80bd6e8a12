"""Settings: per-provider model and base URL, migration of older files, typed loading."""

from __future__ import annotations

import json
import logging
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from sloppy.store import settings
from sloppy.store.settings import Settings


def _write(doc: dict[str, Any]) -> None:
    settings.path().parent.mkdir(parents=True, exist_ok=True)
    settings.path().write_text(json.dumps({"schema": 1, **doc}))


def test_each_provider_keeps_its_model_and_base_url_across_switches_and_restarts(
    sloppy_home: Path,
) -> None:
    s = Settings()
    s.use_provider("openai")
    s.model, s.base_url = "gpt-custom", "http://127.0.0.1:9/v1"
    s.use_provider("anthropic")
    assert s.model == "" and s.base_url == ""  # the new provider's own, not openai's
    s.model = "claude-custom"
    s.use_provider("openai")
    assert (s.model, s.base_url) == ("gpt-custom", "http://127.0.0.1:9/v1")
    settings.save(s)
    back = settings.load()
    assert back.provider == "openai"
    assert back.model_for("openai") == "gpt-custom"
    assert back.base_url_for("openai") == "http://127.0.0.1:9/v1"
    assert back.model_for("anthropic") == "claude-custom"


def test_an_old_file_migrates_its_model_into_the_current_providers_entry(
    sloppy_home: Path,
) -> None:
    _write({"provider": "anthropic", "model": "claude-x", "base_url": "http://h", "theme": "nerv"})
    s = settings.load()
    assert s.providers == {"anthropic": {"model": "claude-x", "base_url": "http://h"}}
    assert s.theme == "nerv"


def test_an_old_file_without_a_provider_gives_its_model_to_the_provider_chosen_later(
    sloppy_home: Path,
) -> None:
    _write({"provider": "", "model": "gpt-x"})
    s = settings.load()
    s.use_provider("openai")
    assert s.model == "gpt-x" and "" not in s.providers


def test_an_older_version_still_finds_the_current_model_at_the_top_level(
    sloppy_home: Path,
) -> None:
    s = Settings()
    s.use_provider("gemini")
    s.model = "gemini-x"
    settings.save(s)
    doc = json.loads(settings.path().read_text())
    assert doc["model"] == "gemini-x" and doc["providers"]["gemini"]["model"] == "gemini-x"


def test_new_fields_round_trip(sloppy_home: Path) -> None:
    s = Settings(send_key="enter", font_scale=1.5, side_panel=False)
    settings.save(s)
    back = settings.load()
    assert (back.send_key, back.font_scale, back.side_panel) == ("enter", 1.5, False)
    assert Settings().send_key == "ctrl+enter"  # the default is Ctrl+Enter sends


WRONG: dict[str, Any] = {
    "theme": 3,
    "provider": ["openai"],
    "discussion": None,
    "providers": {"openai": "gpt"},
    "send_key": "alt+enter",
    "font_scale": "big",
    "side_panel": 1,
    "stream_idle_s": "long",
    "stream_total_s": True,
}


def test_every_field_is_checked_on_load() -> None:
    assert set(WRONG) == {f.name for f in fields(Settings)}


@pytest.mark.parametrize("key", sorted(WRONG))
def test_a_value_of_the_wrong_type_gets_its_default_with_one_log_line(
    sloppy_home: Path, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    _write({"theme": "nerv", key: WRONG[key]} if key != "theme" else {key: WRONG[key]})
    with caplog.at_level(logging.WARNING):
        s = settings.load()
    assert getattr(s, key) == getattr(Settings(), key)
    if key != "theme":
        assert s.theme == "nerv"  # the rest still loads
    lines = [r.getMessage() for r in caplog.records if "settings" in r.getMessage()]
    assert len(lines) == 1 and key in lines[0]
    assert settings.path().exists()  # a wrong value is no reason to set the file aside


@pytest.mark.parametrize(("given", "loaded"), [(0.1, 0.6), (9, 2.5), (1.25, 1.25)])
def test_font_scale_is_clamped(sloppy_home: Path, given: float, loaded: float) -> None:
    _write({"font_scale": given})
    assert settings.load().font_scale == loaded


@pytest.mark.parametrize(
    ("key", "given", "loaded"),
    [
        ("stream_idle_s", 0, 1.0),
        ("stream_idle_s", 1e9, 600.0),
        ("stream_idle_s", 30, 30.0),
        ("stream_total_s", -5, 1.0),
        ("stream_total_s", 1e9, 7200.0),
        ("stream_total_s", 120.5, 120.5),
    ],
)
def test_stream_limits_are_clamped(
    sloppy_home: Path, key: str, given: float, loaded: float
) -> None:
    _write({key: given})
    assert getattr(settings.load(), key) == loaded


@pytest.mark.parametrize("value", ["1e999", "NaN", "true"])
def test_font_scale_that_is_not_a_finite_number_gets_the_default(
    sloppy_home: Path, value: str
) -> None:
    settings.path().parent.mkdir(parents=True, exist_ok=True)
    settings.path().write_text('{"schema": 1, "font_scale": ' + value + "}")
    assert settings.load().font_scale == 1.0
