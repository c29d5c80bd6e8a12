"""One message's body, drawn where the discussion panel calls ``MessageView.render``.

On the path to the first frame, so it imports no renderer: the markdown renderer
(``sloppy.ui.markdown_view``) is warm-listed, and until it is warm a message shows as
plain text (its first ``PREVIEW`` characters). The first call asks the lane for it.
A reply being streamed goes through the same call, with a key that stays the same while
it streams (e.g. ``"streaming"``) and ``streaming=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imgui_bundle import imgui

from sloppy.warm.engine import _require_warmed, is_warm

RENDERER = "sloppy.ui.markdown_view"
#: Characters shown per message before the renderer is warm.
PREVIEW = 2_000


class MessageView:
    """The bodies of one window's messages. ``spawn`` runs a job on the shared pool."""

    def __init__(self, spawn: Callable[..., Any]) -> None:
        self._spawn = spawn
        self._renderer: Any = None
        self._asked = False

    def render(self, key: str, text: str, *, streaming: bool = False) -> None:
        """Draw message ``key``'s ``text`` at the cursor, the full width of the window."""
        renderer = self._ready()
        if renderer is not None:
            renderer.render(key, text, streaming=streaming)
            return
        imgui.push_text_wrap_pos(0.0)
        imgui.text_unformatted(text if len(text) <= PREVIEW else text[:PREVIEW] + " ...")
        imgui.pop_text_wrap_pos()

    def copy(self, text: str) -> None:
        """Copy a whole message (its markdown) to the clipboard."""
        imgui.set_clipboard_text(text)

    def toggle_select(self, key: str) -> None:
        """Show message ``key`` as selectable plain text, or formatted again."""
        if self._ready() is not None:
            self._renderer.toggle_select(key)

    def is_selecting(self, key: str) -> bool:
        return self._renderer is not None and self._renderer.is_selecting(key)

    def shutdown(self) -> None:
        """A clean exit: empties the crash marker (see ``render_guard``)."""
        if self._renderer is not None:
            self._renderer.shutdown()

    def _ready(self) -> Any:
        if self._renderer is None:
            if is_warm(RENDERER):
                self._renderer = _require_warmed(RENDERER).Renderer(self._spawn)
            elif not self._asked:
                self._asked = True
                self._spawn(_require_warmed, RENDERER)  # a demand: first in the lane's queue
        return self._renderer
