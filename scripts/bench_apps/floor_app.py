"""The benchmark's reference apps: a hello_imgui window that presents one frame and exits.

    python floor_app.py REPORT.json            # the floor
    python floor_app.py REPORT.json --eager    # the eager app: what sloppy warms, imported first
    python floor_app.py REPORT.json --no-msaa  # the floor with multisampling off, as sloppy

Same window size as sloppy. Writes ``process_start_epoch``, ``first_frame_epoch`` and
``warm_done_epoch`` (eager: when its imports finished) like sloppy's startup report, and the
phases the benchmark compares with sloppy's (``boot.import_app``, ``gui.window``,
``gui.first_frame``).
"""

from __future__ import annotations

import time

PROCESS_START_EPOCH = time.time()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

# What sloppy's window warms (its own warmed modules have no eager equivalent here): the three
# SDKs, numpy, and keyring with the backend it picks (its import alone picks none).
HEAVY = ("google.genai", "anthropic", "openai", "numpy", "keyring")
#: The environment sloppy sets for them (``WARM_ENVIRONMENT``), so neither side pays for
#: OpenBLAS's spinning threads and the ratio compares the start-up designs alone.
HEAVY_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1"}


def main() -> int:
    report_path, eager = sys.argv[1], "--eager" in sys.argv[2:]
    no_msaa = "--no-msaa" in sys.argv[2:]
    warm_done = None
    if eager:
        for key, value in HEAVY_ENVIRONMENT.items():
            os.environ.setdefault(key, value)
        for name in HEAVY:
            importlib.import_module(name)
        importlib.import_module("keyring").get_keyring()
        warm_done = time.time()
    imports_start = time.time()
    from imgui_bundle import hello_imgui, imgui

    marks = {"imports": (imports_start, time.time())}
    first_frame: list[float] = []
    cpu: list[float] = []
    params = hello_imgui.RunnerParams()
    params.app_window_params.window_title = "floor"
    params.app_window_params.window_geometry.size = (1200, 800)
    params.ini_disable = True
    if no_msaa:
        params.renderer_backend_options.open_gl_options.anti_aliasing_samples = 0

    def gui() -> None:
        imgui.text("Hello, world")

    def post_init() -> None:
        marks["window"] = (marks["window"][0], time.time())

    def after_swap() -> None:
        if not first_frame:
            cpu.append(time.process_time())
            first_frame.append(time.time())
            marks["frame"] = (marks["window"][1], first_frame[0])
            params.app_shall_exit = True

    params.callbacks.show_gui = gui
    params.callbacks.after_swap = after_swap
    params.callbacks.post_init = post_init
    marks["window"] = (time.time(), 0.0)
    hello_imgui.run(params)
    names = {"imports": "boot.import_app", "window": "gui.window", "frame": "gui.first_frame"}
    report: dict[str, object] = {
        "schema": 1,
        "mode": "eager" if eager else "floor-nomsaa" if no_msaa else "floor",
        "process_start_epoch": PROCESS_START_EPOCH,
        "first_frame_epoch": first_frame[0] if first_frame else None,
        "warm_done_epoch": warm_done,
        "first_frame_cpu_s": cpu[0] if cpu else None,
        "frame_times_ms": [],
        "phases": [
            {"name": names[k], "start_epoch": a, "duration_s": b - a} for k, (a, b) in marks.items()
        ],
    }
    with open(report_path, "w") as fh:
        json.dump(report, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
