"""The Discussion panel: the messages, the reply being streamed, the prompt box."""

from __future__ import annotations

import bisect
import itertools

from imgui_bundle import imgui

from sloppy.store.messages import Message
from sloppy.ui import message_view
from sloppy.ui.panel_host import PanelHost, item_rect, sdk_of
from sloppy.warm import warmlist
from sloppy.warm.engine import is_warm

FIRST_RUN = (
    "Welcome to sloppy. To start, pick a provider in the Provider panel, paste your API key "
    "into the key field and press Save, then Test connection."
)
#: The welcome's last sentence: where a saved key goes (``KeyStore.keychain_ok``).
KEYS_GO = {
    True: " Saved keys go to your system keychain.",
    False: " There is no system keychain here: a saved key is kept for this session, or in a "
    "file if you choose that in the Provider panel.",
}
#: The prompt box's height in lines: at least, at most (then it scrolls).
PROMPT_LINES = (2, 6)
#: Beside the Send button, by ``send_key == "enter"``.
SEND_HINTS = {False: "Ctrl+Enter sends", True: "Shift+Enter: new line"}


#: Messages this far (in window heights) above and below the view are drawn too.
MARGIN = 0.5


class Heights:
    """Each message's height as last drawn (else an estimate from its length) and where each
    starts: a frame draws only the messages in view, found by bisection, not all of them."""

    def __init__(self) -> None:
        self.measured: dict[str, float] = {}
        self.tops: list[float] = [0.0]
        self._heights: list[float] = []
        self._key: tuple[int | str | float, ...] | None = None
        self._moved = False  # a height changed: the tops are summed again (not re-estimated)

    def layout(self, messages: list[Message], width: float, line_h: float) -> list[float]:
        """The tops of ``messages`` (one more: the end), rebuilt only when something changed."""
        ends = (messages[0].id, messages[-1].id) if messages else ("", "")
        key = (len(messages), *ends, width)
        if key != self._key:
            if self._key is not None and width != self._key[-1]:
                self.measured.clear()
            per_line = max(1, int(width / max(line_h * 0.5, 1.0)))
            self._heights = [
                self.measured.get(m.id) or line_h * (3 + len(m.text) // per_line) for m in messages
            ]
            self._key, self._moved = key, True
        if self._moved:
            self.tops = [0.0, *itertools.accumulate(self._heights)]
            self._moved = False
        return self.tops

    def stale(self) -> bool:
        """A height changed this frame: the tops are summed again on the next."""
        return self._moved

    def measure(self, i: int, m: Message, height: float) -> None:
        """Message ``m``, the ``i``-th of the last ``layout``, was drawn ``height`` high."""
        if abs(self.measured.get(m.id, -1.0) - height) > 0.5:
            self.measured[m.id] = height
            if i < len(self._heights):
                self._heights[i] = height
            self._moved = True  # the tops below it move


def first_in_view(tops: list[float], low: float) -> int:
    """The index of the message drawn first for a view starting at ``low``; past the end (the
    drawn heights came out lower than their estimates) the last one, so that one is drawn."""
    return min(max(0, bisect.bisect_right(tops, low) - 1), max(len(tops) - 2, 0))


def welcome(keychain_ok: bool | None) -> str:
    """The first-run text; it names the keychain only where there is one."""
    return FIRST_RUN if keychain_ok is None else FIRST_RUN + KEYS_GO[keychain_ok]


def line_h() -> float:
    return float(imgui.get_text_line_height_with_spacing())


class DiscussionPanel:
    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self._scroll_to_end = True
        self._last_count = -1
        self._refocus = False
        #: The prompt box holds the last user message being edited (sending replaces it).
        self.editing = False
        self.system_text = ""
        self._system_active = False
        #: Screen rectangles of the widgets drawn last frame (GUI tests click them).
        self.rects: dict[str, list[float]] = {}
        self._next: dict[str, list[float]] = {}  # this frame's, published whole at the end
        self.message_view = message_view.MessageView(gui.controller.spawn_io)
        self.heights = Heights()
        self._at_end = True
        #: How many messages the last frame drew (the rest were skipped).
        self.drawn = 0

    def first_run(self) -> bool:
        """No key anywhere (app or environment) and nothing said yet: show ``FIRST_RUN``."""
        chat = self.gui.chat
        # Only once the keychain has answered: no welcome flashing past a signed-in user.
        return chat.keys.read_saved and not chat.keys.any_key() and not chat.discussion.messages

    def welcome_text(self) -> str:
        """The first-run text as shown now ("" when not shown)."""
        return welcome(self.gui.chat.keys.keychain_ok) if self.first_run() else ""

    def draw(self) -> None:
        gui, chat, theme = self.gui, self.gui.chat, self.gui.theme
        self._next = {}
        prompt_h = self._prompt_height(imgui.get_content_region_avail().x)
        style = imgui.get_style()
        footer = prompt_h + imgui.get_frame_height_with_spacing() + 2 * style.item_spacing.y
        if self.editing:
            footer += imgui.get_frame_height_with_spacing()
        self._system_prompt()
        imgui.begin_child("history", imgui.ImVec2(0, -footer))
        messages = chat.messages()
        hello = self.welcome_text()
        if hello:
            imgui.text_wrapped(hello)
        n = len(messages)
        last_user = next((i for i in range(n - 1, -1, -1) if messages[i].role == "user"), -1)
        tops = self.heights.layout(messages, imgui.get_content_region_avail().x, line_h())
        origin = imgui.get_cursor_pos_y()
        view = imgui.get_window_height()
        low = imgui.get_scroll_y() - origin - MARGIN * view
        first = first_in_view(tops, low)
        high = low + (1 + 2 * MARGIN) * view
        if first:
            imgui.set_cursor_pos_y(origin + tops[first])
        i = first
        while i < n and (tops[i] < high or i == first):
            start = imgui.get_cursor_pos_y()
            self._message(messages[i], last=i == n - 1, last_user=i == last_user)
            self.heights.measure(i, messages[i], imgui.get_cursor_pos_y() - start)
            i += 1
        self.drawn = i - first
        if i < n:  # the rest is there for the scroll bar, not drawn
            imgui.set_cursor_pos_y(origin + tops[n])
            imgui.dummy(imgui.ImVec2(0, 0))
        streaming = chat.streaming if chat.streaming_name == chat.current_name else None
        if chat.busy and chat.streaming_name in (None, chat.current_name):
            sdk = sdk_of(chat.settings.provider)
            imgui.text_colored(imgui.ImVec4(*theme.ok), "Assistant")
            if not is_warm(sdk):
                imgui.text_disabled(f"Loading {warmlist.label(sdk)}...")
            elif streaming:
                self.message_view.render("streaming", streaming, streaming=True)
            else:
                imgui.text_disabled("waiting for the reply...")
        # Held at the end while heights measured in view replace the estimates (tops move).
        moved = self._at_end and self.heights.stale()
        at_end = imgui.get_scroll_y() >= imgui.get_scroll_max_y() - 20
        self._at_end = at_end
        if len(messages) != self._last_count or chat.busy or moved:
            self._last_count = len(messages)
            if self._scroll_to_end or at_end or moved:
                imgui.set_scroll_here_y(1.0)
                self._at_end = True
        imgui.end_child()
        self._next["history"] = item_rect()
        if self.editing:
            imgui.text_colored(
                imgui.ImVec4(*theme.warn), "Editing your last message: sending replaces it."
            )
            imgui.same_line()
            if imgui.small_button("Cancel"):
                self.cancel_edit()
            self._next["cancel_edit"] = item_rect()
        self._prompt_box(prompt_h)
        if chat.busy:
            if imgui.button("Stop"):
                chat.stop()
        elif imgui.button("Resend" if self.editing else "Send"):
            self._submit()
        self._next["send"] = item_rect()
        imgui.same_line()
        enter_sends = gui.settings.send_key == "enter"
        changed, enter_sends = imgui.checkbox("Enter sends", enter_sends)
        if changed:
            gui.settings.send_key = "enter" if enter_sends else "ctrl+enter"
            gui.save_settings()
        self._next["enter_sends"] = item_rect()
        imgui.same_line()
        imgui.text_disabled(SEND_HINTS[gui.settings.send_key == "enter"])
        self.rects = self._next

    def _prompt_height(self, width: float) -> float:
        """The prompt box grows with its wrapped text from ``PROMPT_LINES[0]`` to
        ``PROMPT_LINES[1]`` lines, then scrolls."""
        style = imgui.get_style()
        inner = max(width - 2 * style.frame_padding.x - style.scrollbar_size, 20.0)
        text_h = imgui.calc_text_size(self.gui.prompt + "x", wrap_width=inner).y
        line_h = imgui.get_text_line_height()
        lo, hi = (n * line_h for n in PROMPT_LINES)
        return min(max(text_h, lo), hi) + 2 * style.frame_padding.y

    def _prompt_box(self, height: float) -> None:
        """The prompt: wraps; Enter or Ctrl+Enter sends (``settings.send_key``)."""
        gui = self.gui
        io = imgui.get_io()
        flags = (
            imgui.InputTextFlags_.word_wrap.value | imgui.InputTextFlags_.enter_returns_true.value
        )
        # Enter sends: imgui validates on Enter and inserts a new line on Ctrl+Enter; with
        # Shift held the flag is off for that frame, so Shift+Enter is a new line too.
        if gui.settings.send_key == "enter" and not io.key_shift:
            flags |= imgui.InputTextFlags_.ctrl_enter_for_new_line.value
        if self._refocus:
            self._refocus = False
            imgui.set_keyboard_focus_here()
        draft = gui.prompt
        validated, gui.prompt = imgui.input_text_multiline(
            "##prompt", gui.prompt, imgui.ImVec2(-1, height), flags
        )
        self._next["prompt"] = item_rect()
        if imgui.is_item_deactivated() and imgui.is_key_pressed(imgui.Key.escape, False):
            # Esc stops a reply; imgui would also undo what was typed since the box took
            # the keyboard: keep the draft and the keyboard.
            gui.prompt, self._refocus = draft, True
        if validated:
            # Validating leaves the field: take the keyboard back for the next prompt.
            self._refocus = True
            self._submit()

    def _submit(self) -> None:
        if self.editing:
            if self.gui.prompt.strip() and not self.gui.chat.busy:
                self.editing = False
                self.gui.resend_edited()
        else:
            self.gui.send()

    def _message(self, m: Message, *, last: bool, last_user: bool) -> None:
        chat, theme = self.gui.chat, self.gui.theme
        who = "You" if m.role == "user" else "Assistant"
        if m.error:
            who += " (error: not sent to the model)"
        color = theme.error if m.error else (theme.accent if m.role == "user" else theme.ok)
        imgui.text_colored(imgui.ImVec4(*color), who)
        self.message_view.render(m.id, m.text)
        if m.stopped:
            imgui.text_disabled("(stopped)")
        if not chat.busy:
            self._actions(m, last=last, last_user=last_user)
        imgui.spacing()

    def _actions(self, m: Message, *, last: bool, last_user: bool) -> None:
        """Retry a failed turn, regenerate the last reply, edit the last prompt."""
        if last and m.role == "assistant":
            if m.error:
                if imgui.small_button("Retry"):
                    self.gui.actions.retry()
                self._next["retry"] = item_rect()
            else:
                if imgui.small_button("Regenerate"):
                    self.gui.actions.regenerate()
                self._next["regenerate"] = item_rect()
        if last_user:
            if imgui.small_button("Edit"):
                self.start_edit(m.text)
            self._next["edit"] = item_rect()

    def start_edit(self, text: str) -> None:
        """Put the last prompt in the box; sending it replaces it (and what followed)."""
        self.editing = True
        self.gui.prompt = text
        self._refocus = True

    def cancel_edit(self) -> None:
        self.editing = False
        self.gui.prompt = ""

    def _system_prompt(self) -> None:
        """The open conversation's system prompt, folded; saved when the field is left."""
        chat = self.gui.chat
        if not self._system_active:
            self.system_text = chat.discussion.system
        shown = "System prompt" if self.system_text.strip() else "System prompt (none)"
        opened = imgui.collapsing_header(f"{shown}###system")
        self._next["system_header"] = item_rect()
        if not opened:
            self._system_active = False
            return
        imgui.set_next_item_width(-1)
        height = imgui.get_text_line_height() * 3 + 2 * imgui.get_style().frame_padding.y
        flags = imgui.InputTextFlags_.word_wrap.value
        _, self.system_text = imgui.input_text_multiline(
            "##system", self.system_text, imgui.ImVec2(-1, height), flags
        )
        self._next["system"] = item_rect()
        self._system_active = imgui.is_item_active()
        if imgui.is_item_deactivated_after_edit():
            self.gui.actions.set_system(self.system_text)
        if not self.system_text.strip():
            imgui.text_disabled("Empty: nothing is sent before the conversation.")

    def shutdown(self) -> None:
        self.message_view.shutdown()
