"""The startup report's input frames and chat-ready milestone, and the lane's progress calls."""

from __future__ import annotations

import threading
from typing import Any

from sloppy.app.report import INPUT_AFTER_WARM_S, ReportWriter
from tests.support.modules import ModuleFactory

FLT_MAX = 3.4028234663852886e38


def writer(controller_factory) -> ReportWriter:
    return ReportWriter(
        controller_factory(warm_modules=[], start_warmup=False), mode="gui", path=None
    )


def test_only_frames_where_the_mouse_moved_are_listed(controller_factory) -> None:
    w = writer(controller_factory)
    w.note_frame(10.0, -FLT_MAX, -FLT_MAX)  # not in the window yet
    w.note_frame(10.1, 5.0, 6.0)
    w.note_frame(10.2, 5.0, 6.0)  # same place: no new input shown
    w.note_frame(10.3, 7.0, 6.0)
    assert w.build()["input_frames"] == [
        {"mouse": [5.0, 6.0], "epoch": 10.1},
        {"mouse": [7.0, 6.0], "epoch": 10.3},
    ]


def test_input_frames_stop_two_seconds_after_warm_done(controller_factory) -> None:
    w = writer(controller_factory)
    w.warm_done_epoch = 100.0
    w.note_frame(100.0 + INPUT_AFTER_WARM_S - 0.1, 1.0, 1.0)
    w.note_frame(100.0 + INPUT_AFTER_WARM_S + 0.1, 2.0, 2.0)
    assert [f["mouse"] for f in w.build()["input_frames"]] == [[1.0, 1.0]]


def test_chat_ready_is_noted_once(controller_factory) -> None:
    w = writer(controller_factory)
    assert w.build()["chat_ready_epoch"] is None
    w.mark_chat_ready()
    first = w.chat_ready_epoch
    w.mark_chat_ready()
    assert first is not None and w.build()["chat_ready_epoch"] == first


def test_progress_is_called_per_module_on_the_lane(
    controller_factory, modules: ModuleFactory
) -> None:
    ok, bad = modules.make(), modules.make("raise RuntimeError('x')")
    c = controller_factory(warm_modules=[ok, bad], start_warmup=False)
    seen: list[tuple[str, str, bool]] = []

    def note(name: str) -> None:
        seen.append((name, threading.current_thread().name, c.warmup.is_ready(name)))

    def boom(_name: str) -> Any:
        raise ValueError("a callback that raises does not stop the lane")

    c.warmup.on_progress += [boom, note]
    c.start_warmup()
    assert c.wait_for_warmup(30)
    assert sorted(n for n, _, _ in seen) == sorted([ok, bad])
    assert all(t.startswith("controller-io") for _, t, _ in seen)
    assert {n: ready for n, _, ready in seen} == {ok: True, bad: False}
