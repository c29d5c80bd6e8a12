"""Read the X clipboard of a display through a tiny imgui window (GLFW's clipboard).

No xclip/xsel needed: ``python tests/ui/clipboard.py`` prints the clipboard as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from imgui_bundle import hello_imgui, imgui

SCRIPT = Path(__file__)


def read(display: str, timeout: float = 60) -> str:
    """The clipboard of ``display`` (empty when nothing owns it)."""
    out = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "DISPLAY": display},
        check=True,
    ).stdout
    return str(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    got: dict[str, str] = {}
    frames = [0]

    def gui() -> None:
        frames[0] += 1
        if frames[0] == 3:
            got["text"] = imgui.get_clipboard_text() or ""
        if frames[0] >= 4:
            params.app_shall_exit = True

    params = hello_imgui.RunnerParams()
    params.app_window_params.window_geometry.size = (60, 40)
    params.app_window_params.window_title = "clipboard-reader"
    params.callbacks.show_gui = gui
    params.callbacks.default_icon_font = hello_imgui.DefaultIconFont.no_icons
    params.fps_idling.enable_idling = False
    params.ini_disable = True
    hello_imgui.run(params)
    print(json.dumps(got.get("text", "")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
