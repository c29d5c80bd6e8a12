"""No window possible: one clear line naming what is missing and what to do, exit 2."""

from __future__ import annotations

import subprocess

import pytest
from sloppy_launcher import boot3_app

from tests.support.live import SLOPPY
from tests.support.xvfb import Display

#: A display number nothing listens on (far above what Xvfb's -displayfd hands out).
NOWHERE = ":31999"


def start(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> subprocess.CompletedProcess[str]:
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    return subprocess.run([SLOPPY], capture_output=True, text=True, timeout=120, check=False)


def said(proc: subprocess.CompletedProcess[str]) -> str:
    """The one line sloppy printed (GLFW's own ``Glfw Error`` line may come before it)."""
    assert proc.returncode == boot3_app.NO_WINDOW, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("Glfw Error")]
    assert len(lines) == 1, proc.stderr
    assert "--headless" in lines[0] and "Xvfb" in lines[0]
    return lines[0]


def test_no_display_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = start({}, monkeypatch)
    assert proc.stderr.count("\n") == 1  # not even GLFW's line: nothing was tried
    assert "neither DISPLAY nor WAYLAND_DISPLAY is set" in said(proc)


def test_a_display_nobody_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = start({"DISPLAY": NOWHERE}, monkeypatch)
    assert f"no display server answers at {NOWHERE}" in said(proc)


@pytest.mark.gui
def test_a_display_without_opengl(monkeypatch: pytest.MonkeyPatch) -> None:
    display = Display("-extension", "GLX")
    try:
        proc = start(display.env(), monkeypatch)
    finally:
        display.close()
    line = said(proc)
    assert f"no OpenGL context on display {display.name}" in line and "GLX" in line


def test_other_errors_are_not_taken_for_a_missing_window() -> None:
    assert boot3_app.window_failure(RuntimeError("IM_ASSERT( glfwInitSuccess )")) is not None
    assert boot3_app.window_failure(RuntimeError("something else broke")) is None
