"""On Linux sloppy's folders follow the XDG rules exactly as platformdirs resolves them."""

from __future__ import annotations

import sys

import platformdirs
import pytest

from sloppy.store import paths

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the XDG rules are Linux's")
CASES = [
    {},
    {"XDG_CONFIG_HOME": "/x/conf", "XDG_CACHE_HOME": "/x/cache"},
    {"XDG_DATA_HOME": "~/d", "XDG_STATE_HOME": "/x/state"},  # not absolute: the default
    {"XDG_CONFIG_HOME": "   ", "XDG_STATE_HOME": ""},  # blank: the default
]


@pytest.mark.parametrize("env", CASES)
def test_same_folders_as_platformdirs(env: dict[str, str], monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(paths.HOME_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    name = paths.APP_NAME
    assert paths.config_dir() == platformdirs.user_config_path(name, appauthor=False)
    assert paths.cache_dir() == platformdirs.user_cache_path(name, appauthor=False)
    assert paths.data_dir() == platformdirs.user_data_path(name, appauthor=False)
    assert paths.log_dir() == platformdirs.user_log_path(name, appauthor=False)


def test_the_window_path_does_not_import_platformdirs() -> None:
    import subprocess

    code = "import sys, sloppy.store.paths; print('platformdirs' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
