"""The discussion panel's heights: where each message starts, without a window."""

from __future__ import annotations

import bisect

from sloppy.store.messages import Message
from sloppy.ui.discussion_panel import Heights


def test_a_frame_finds_the_messages_in_view_without_walking_them_all() -> None:
    messages = [Message("user", "x" * (i % 50), at=float(i)) for i in range(20_000)]
    heights = Heights()
    tops = heights.layout(messages, 600.0, 20.0)
    assert len(tops) == len(messages) + 1 and tops == sorted(tops)
    assert heights.layout(messages, 600.0, 20.0) is tops  # unchanged: nothing rebuilt
    first = bisect.bisect_right(tops, tops[12_345] + 1) - 1
    assert first == 12_345
    heights.measure(10, messages[10], 500.0)  # drawn: its real height moves the ones below
    moved = heights.layout(messages, 600.0, 20.0)
    assert moved[11] - moved[10] == 500.0 and moved[-1] > tops[-1]
    assert heights.layout(messages, 600.0, 20.0) is moved
    messages.append(Message("assistant", "new", at=1e6))
    assert len(heights.layout(messages, 600.0, 20.0)) == len(messages) + 1
    assert (
        heights.layout(messages, 300.0, 20.0)[11] - moved[10] != 500.0
    )  # new width: measured again
