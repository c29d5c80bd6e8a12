"""The discussion panel's heights: where each message starts, without a window."""

from __future__ import annotations

from sloppy.store.messages import Message
from sloppy.ui.discussion_panel import Heights, first_in_view


def test_a_frame_finds_the_messages_in_view_without_walking_them_all() -> None:
    messages = [Message("user", "x" * (i % 50), at=float(i)) for i in range(20_000)]
    heights = Heights()
    tops = heights.layout(messages, 600.0, 20.0)
    assert len(tops) == len(messages) + 1 and tops == sorted(tops)
    assert heights.layout(messages, 600.0, 20.0) is tops  # unchanged: nothing rebuilt
    assert first_in_view(tops, tops[12_345] + 1) == 12_345
    assert first_in_view(tops, -50.0) == 0
    # Scrolled past the estimated end: the last message is still drawn (imgui needs an item
    # after the cursor moves).
    assert first_in_view(tops, tops[-1] + 1e6) == len(messages) - 1
    assert first_in_view([0.0], 100.0) == 0
    heights.measure(10, messages[10], 500.0)  # drawn: its real height moves the ones below
    moved = heights.layout(messages, 600.0, 20.0)
    assert moved[11] - moved[10] == 500.0 and moved[-1] > tops[-1]
    assert heights.layout(messages, 600.0, 20.0) is moved
    messages.append(Message("assistant", "new", at=1e6))
    assert len(heights.layout(messages, 600.0, 20.0)) == len(messages) + 1
    assert (
        heights.layout(messages, 300.0, 20.0)[11] - moved[10] != 500.0
    )  # new width: measured again
