"""The Discussion panel: the messages, the reply being streamed, the prompt box."""

from __future__ import annotations

from imgui_bundle import imgui

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


def welcome(keychain_ok: bool | None) -> str:
    """The first-run text; it names the keychain only where there is one."""
    return FIRST_RUN if keychain_ok is None else FIRST_RUN + KEYS_GO[keychain_ok]


class DiscussionPanel:
    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self._scroll_to_end = True
        self._last_count = -1
        self._refocus = False
        #: Screen rectangles of the widgets drawn last frame (GUI tests click them).
        self.rects: dict[str, list[float]] = {}
        self.message_view = message_view.MessageView(gui.controller.spawn_io)

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
        self.rects.clear()
        prompt_h = self._prompt_height(imgui.get_content_region_avail().x)
        style = imgui.get_style()
        footer = prompt_h + imgui.get_frame_height_with_spacing() + 2 * style.item_spacing.y
        imgui.begin_child("history", imgui.ImVec2(0, -footer))
        messages = chat.messages()
        hello = self.welcome_text()
        if hello:
            imgui.text_wrapped(hello)
        for m in messages:
            who = "You" if m.role == "user" else "Assistant"
            color = theme.error if m.error else (theme.accent if m.role == "user" else theme.ok)
            imgui.text_colored(imgui.ImVec4(*color), who)
            self.message_view.render(m.id, m.text)
            imgui.spacing()
        streaming = chat.streaming
        if chat.busy:
            sdk = sdk_of(chat.settings.provider)
            imgui.text_colored(imgui.ImVec4(*theme.ok), "Assistant")
            if not is_warm(sdk):
                imgui.text_disabled(f"Loading {warmlist.label(sdk)}...")
            elif streaming:
                self.message_view.render("streaming", streaming, streaming=True)
            else:
                imgui.text_disabled("waiting for the reply...")
        if len(messages) != self._last_count or chat.busy:
            self._last_count = len(messages)
            if self._scroll_to_end or imgui.get_scroll_y() >= imgui.get_scroll_max_y() - 20:
                imgui.set_scroll_here_y(1.0)
        imgui.end_child()
        self.rects["history"] = item_rect()
        self._prompt_box(prompt_h)
        if chat.busy:
            if imgui.button("Stop"):
                chat.stop()
        elif imgui.button("Send"):
            gui.send()
        self.rects["send"] = item_rect()
        imgui.same_line()
        enter_sends = gui.settings.send_key == "enter"
        changed, enter_sends = imgui.checkbox("Enter sends", enter_sends)
        if changed:
            gui.settings.send_key = "enter" if enter_sends else "ctrl+enter"
            gui.save_settings()
        self.rects["enter_sends"] = item_rect()
        imgui.same_line()
        imgui.text_disabled(SEND_HINTS[gui.settings.send_key == "enter"])

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
        validated, gui.prompt = imgui.input_text_multiline(
            "##prompt", gui.prompt, imgui.ImVec2(-1, height), flags
        )
        self.rects["prompt"] = item_rect()
        if validated:
            # Validating leaves the field: take the keyboard back for the next prompt.
            self._refocus = True
            gui.send()

    def shutdown(self) -> None:
        self.message_view.shutdown()
