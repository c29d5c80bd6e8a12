"""A window that draws messages with sloppy's message renderer: GUI tests and the benchmark.

    python tests/ui/message_harness.py MESSAGES.json OUT.json [--scroll] [--frames N]
        [--crash-on NEEDLE] [--stream KEY]

MESSAGES.json is a list of {"id", "text"}. The window (900x700, title "message-harness")
draws them one under the other in a scrolling child, like the discussion panel.
``--scroll``: scroll from top to bottom and back, a third of the view a frame (at most 200
steps each way). ``--stream KEY``: message KEY grows by 64 characters a frame
(``--stream-step``), drawn as a reply being streamed. ``--crash-on NEEDLE``: abort the
process (SIGABRT, as a failed IM_ASSERT does) when content containing NEEDLE is drawn as
markdown. OUT.json gets per-frame times (ms, between presented frames), the renderer's
per-frame counters, the time the messages took to draw (``draw_ms``), and the keys drawn
as plain text.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import imgui_bundle
from imgui_bundle import hello_imgui, imgui, imgui_md

from sloppy.ui import markdown_view

TITLE = "message-harness"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("messages", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--frames", type=int, default=0, help="exit after N frames (0: scroll end)")
    ap.add_argument("--scroll", action="store_true")
    ap.add_argument("--crash-on", default="")
    ap.add_argument("--stream", default="")
    ap.add_argument("--stream-step", type=int, default=64)
    ap.add_argument("--hold", type=float, default=0.0, help="seconds to stay open at the end")
    args = ap.parse_args()
    messages: list[dict[str, str]] = json.loads(args.messages.read_text())
    pool = ThreadPoolExecutor(2)
    renderer = markdown_view.Renderer(pool.submit)
    if args.crash_on:
        real = imgui_md.render_raw

        def crashing(display: str) -> None:
            if args.crash_on in display:
                sys.stdout.flush()
                os.abort()
            real(display)

        imgui_md.render_raw = crashing  # type: ignore[assignment]

    streamed = {m["id"]: m["text"] for m in messages if m["id"] == args.stream}
    shown = {k: 0 for k in streamed}
    frames: list[float] = []
    stats: list[dict[str, Any]] = []
    plain: set[str] = set()
    state: dict[str, Any] = {"last": None, "n": 0, "dir": 1, "end_at": None, "max_chunk": 0}

    def gui() -> None:
        state["n"] += 1
        if not renderer.guard.loaded:
            return
        t0 = time.perf_counter()
        imgui.begin_child("history", imgui.ImVec2(0, 0))
        for m in messages:
            key, text = m["id"], m["text"]
            imgui.text_colored(imgui.ImVec4(0.3, 0.85, 0.4, 1.0), key)
            if key in streamed:
                shown[key] = min(len(streamed[key]), shown[key] + args.stream_step)
                renderer.render(key, streamed[key][: shown[key]], streaming=True)
            else:
                renderer.render(key, text)
            lay = renderer._layouts.get(key)
            if lay is not None and lay.suspect:
                plain.add(key)
            imgui.spacing()
        if args.scroll:
            # A third of the view, or 1/200 of a huge history.
            step = max(imgui.get_window_height() / 3, imgui.get_scroll_max_y() / 200)
            y, top = imgui.get_scroll_y(), imgui.get_scroll_max_y()
            if state["dir"] > 0 and y >= top - 1 and state["n"] > 5:
                state["dir"] = -1
            elif state["dir"] < 0 and y <= 0:
                state["end_at"] = state["end_at"] or state["n"]
            imgui.set_scroll_y(max(0.0, min(top, y + state["dir"] * step)))
        imgui.end_child()
        stats.append({**renderer.stats, "draw_ms": (time.perf_counter() - t0) * 1000.0})
        if args.frames:
            done = state["n"] >= args.frames
        else:
            done = not args.scroll or state["end_at"] is not None
        if any(shown[k] < len(v) for k, v in streamed.items()):
            done = False
        if done:
            if args.hold and state.setdefault("hold_until", time.monotonic() + args.hold) > (
                time.monotonic()
            ):
                return
            params.app_shall_exit = True

    def after_swap() -> None:
        now = time.perf_counter()
        if state["last"] is not None:
            frames.append((now - state["last"]) * 1000.0)
        state["last"] = now

    params = hello_imgui.RunnerParams()
    params.app_window_params.window_title = TITLE
    params.app_window_params.window_geometry.size = (900, 700)
    params.callbacks.show_gui = gui
    params.callbacks.after_swap = after_swap
    params.callbacks.default_icon_font = hello_imgui.DefaultIconFont.no_icons
    params.fps_idling.enable_idling = False
    params.renderer_backend_options.open_gl_options.anti_aliasing_samples = 0
    params.ini_disable = True
    hello_imgui.set_assets_folder(str(Path(imgui_bundle.__file__).parent / "assets"))
    hello_imgui.run(params)
    renderer.shutdown()
    pool.shutdown()
    args.out.write_text(
        json.dumps(
            {
                "frames_ms": frames,
                "stats": stats,
                "plain": sorted(plain),
                "frames": state["n"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
