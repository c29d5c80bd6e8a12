"""The damage matrix: every file this side of sloppy reads x every damage kind, in a real start.

Each case damages one file in a fresh home and starts sloppy (headless with the hook API, or
the GUI for imgui's layout ini). It must start, set the file aside with exactly one log line
and report it in ``/api/status``; the damaged file is moved, never deleted. A few damages
leave a file that is still usable (half a generated key is still a key; an empty or
truncated ini is still an ini): those must be kept, with no line at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient

from sloppy.hooks import hook_key
from sloppy.store import discussions, settings
from sloppy.store.messages import Discussion, Message
from tests.support.damage import DAMAGE_KINDS, LAYOUT_INI, apply_damage
from tests.support.live import Proc
from tests.support.xvfb import Display

pytestmark = pytest.mark.slow


def _seed_settings() -> Path:
    settings.save(settings.Settings(theme="default"))
    return settings.path()


def _seed_discussion() -> Path:
    discussions.save(Discussion(messages=[Message("user", "keep me"), Message("assistant", "ok")]))
    return discussions.file_of("default")


def _seed_key() -> Path:
    _key, path = hook_key.resolve_key()
    assert path is not None
    return path


def _seed_layout() -> Path:
    from sloppy.store import paths

    path = paths.config_dir() / "imgui_layout.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LAYOUT_INI)
    return path


FILES: dict[str, tuple[Callable[[], Path], str]] = {
    "settings.json": (_seed_settings, "headless"),
    "discussion": (_seed_discussion, "headless"),
    "hook_key": (_seed_key, "headless"),
    "imgui_layout.ini": (_seed_layout, "gui"),
}
#: Damage that leaves a usable file: kept as it is.
KEPT = {("hook_key", "truncated"), ("imgui_layout.ini", "empty"), ("imgui_layout.ini", "truncated")}
#: Damage to one line of a discussion (schema 2: a line per record): that line is skipped
#: with one log line, the rest loads, the file is kept.
KEPT_LOGGED = {("discussion", "truncated"), ("discussion", "flipped")}


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
@pytest.mark.parametrize("what", sorted(FILES))
def test_start_survives_damage(
    what: str, kind: str, sloppy_home: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    seed, mode = FILES[what]
    path = seed()
    apply_damage(path, kind)
    damaged = path.lstat().st_ino
    if mode == "headless":
        stderr, status = _start_headless()
    else:
        stderr, status = _start_gui(request.getfixturevalue("display"), tmp_path)
    mentions = [line for line in stderr.splitlines() if path.name in line]
    asides = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.bad-")]
    if (what, kind) in KEPT:
        assert mentions == [] and asides == [], stderr
        assert path.lstat().st_ino == damaged
        return
    assert len(mentions) == 1, stderr
    if (what, kind) in KEPT_LOGGED:
        assert "skipped" in mentions[0] and asides == [], stderr
        assert path.lstat().st_ino == damaged
        return
    assert "set aside as" in mentions[0]
    assert len(asides) == 1 and asides[0].lstat().st_ino == damaged  # moved, not deleted
    if kind == "huge":
        assert asides[0].lstat().st_size == 2 * 1024**3
    if status is not None:
        assert [e["set_aside_as"] for e in status["set_aside"]] == [str(asides[0])]


def _start_headless() -> tuple[str, dict | None]:
    proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", "0"], {})
    try:
        url = proc.wait_for_hook_url(90)
        key_line = proc.wait_for_line("hooks: key in ", 5)
        key = Path(key_line.split("hooks: key in ", 1)[1]).read_text().strip()
        api = ApiHookClient(url, key, timeout=30)
        status = api.get("/api/status")
        proc.stop(within=5)
    finally:
        proc.kill()
    return "".join(proc.stderr), status


def _start_gui(display: Display, tmp_path: Path) -> tuple[str, dict | None]:
    report = tmp_path / "report.json"
    proc = Proc(["--exit-when-warm", "--startup-report", str(report)], display.env())
    try:
        assert proc.popen.wait(150) == 0, "".join(proc.stderr)[-3000:]
    finally:
        proc.kill()
    assert json.loads(report.read_text())["first_frame_epoch"] is not None
    return "".join(proc.stderr), None
