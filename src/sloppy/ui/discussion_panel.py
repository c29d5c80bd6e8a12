"""The Discussion panel: the messages, the reply being streamed, the prompt box."""

from __future__ import annotations

from imgui_bundle import imgui

from sloppy.ui import message_view
from sloppy.ui.panel_host import PanelHost, sdk_of
from sloppy.warm import warmlist
from sloppy.warm.engine import is_warm

FIRST_RUN = (
    "Welcome to sloppy. To start, pick a provider in the Provider panel, paste your API key "
    "into the key field and press Save, then Test connection. Saved keys go to your "
    "system keychain."
)


class DiscussionPanel:
    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self._scroll_to_end = True
        self._last_count = -1
        self.message_view = message_view.MessageView(gui.controller.spawn_io)

    def first_run(self) -> bool:
        """No key anywhere (app or environment) and nothing said yet: show ``FIRST_RUN``."""
        chat = self.gui.chat
        # Only once the keychain has answered: no welcome flashing past a signed-in user.
        return chat.keys.read_saved and not chat.keys.any_key() and not chat.discussion.messages

    def draw(self) -> None:
        gui, chat, theme = self.gui, self.gui.chat, self.gui.theme
        footer = imgui.get_frame_height_with_spacing() * 4.5
        imgui.begin_child("history", imgui.ImVec2(0, -footer))
        messages = chat.messages()
        if self.first_run():
            imgui.text_wrapped(FIRST_RUN)
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
        imgui.set_next_item_width(-1)
        _, gui.prompt = imgui.input_text_multiline(
            "##prompt", gui.prompt, imgui.ImVec2(-1, imgui.get_frame_height() * 2.6)
        )
        # Ctrl+Enter anywhere in this window sends; the multiline input is a child window, so
        # is_item_active() after it does not see the key press.
        focused = imgui.is_window_focused(imgui.FocusedFlags_.child_windows.value)
        if focused and imgui.get_io().key_ctrl and imgui.is_key_pressed(imgui.Key.enter, False):
            gui.send()
        if chat.busy:
            if imgui.button("Stop"):
                chat.stop()
        elif imgui.button("Send"):
            gui.send()
        imgui.same_line()
        imgui.text_disabled("Ctrl+Enter sends")

    def shutdown(self) -> None:
        self.message_view.shutdown()
