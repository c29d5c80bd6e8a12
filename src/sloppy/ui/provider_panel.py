"""The Provider panel: provider, model, base URL, the API key and the connection test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from imgui_bundle import imgui

from sloppy.providers import keys
from sloppy.providers.table import PROVIDER_LABELS, PROVIDERS
from sloppy.ui.panel_host import PanelHost, item_rect, sdk_of
from sloppy.warm import warmlist
from sloppy.warm.engine import is_warm

#: Longer model lists get a filter field at the top of the drop-down.
MODEL_FILTER_AT = 12


def provider_choices() -> list[str]:
    """The Provider combo's items: the provider table's labels, in its order."""
    return [PROVIDER_LABELS[p] for p in PROVIDERS]


class ProviderPanel:
    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        # What is typed in the key field, per provider, until saved (never shown: masked).
        self.key_inputs: dict[str, str] = {}
        self.key_notes: dict[str, str] = {}
        self.model_filter = ""
        #: The configured model is not among the models the server lists.
        self.missing = False
        #: Screen rectangles of the key widgets (GUI tests click them).
        self.rects: dict[str, list[float]] = {}

    def draw(self) -> None:
        gui, chat = self.gui, self.gui.chat
        s = chat.settings
        current = PROVIDERS.index(s.provider)
        changed, idx = imgui.combo("Provider", current, provider_choices())
        if changed and idx != current:
            gui.set_provider(PROVIDERS[idx])
        self._model_field()
        base = chat.client.base_url(s.provider) or ""
        changed, url = imgui.input_text_with_hint(
            "Base URL", "provider default", s.base_url or base
        )
        if changed:
            chat.select(s.provider, s.model, url)
            gui.settings.base_url = url
        imgui.separator()
        self._key_section(s.provider)
        sdk = sdk_of(s.provider)
        imgui.text_disabled(f"{warmlist.label(sdk)}: {'ready' if is_warm(sdk) else 'loading'}")

    def _model_field(self) -> None:
        gui, chat = self.gui, self.gui.chat
        s = chat.settings
        listing = chat.catalog.state(s.provider)
        width = (
            imgui.calc_item_width() - imgui.get_frame_height() - imgui.get_style().item_spacing.x
        )
        imgui.set_next_item_width(max(width, 60.0))
        changed, model = imgui.input_text("##model", s.model)
        if changed:
            gui.set_model(model)
        imgui.same_line()
        flags = imgui.ComboFlags_.no_preview.value | imgui.ComboFlags_.height_large.value
        for drawn in [k for k in self.rects if k.startswith(("model:", "listed"))]:
            del self.rects[drawn]  # only the entries shown this frame
        if imgui.begin_combo("Model", "", flags):
            if not listing.models:
                imgui.text_disabled("No list yet: save a key and test the connection")
            elif len(listing.models) > MODEL_FILTER_AT:
                if imgui.is_window_appearing():
                    self.model_filter = ""
                    imgui.set_keyboard_focus_here()
                imgui.set_next_item_width(-1)
                _, self.model_filter = imgui.input_text_with_hint(
                    "##model_filter", "filter", self.model_filter
                )
            wanted = self.model_filter.lower()
            for name in listing.models:
                if wanted and wanted not in name.lower():
                    continue
                if imgui.selectable(name, name == s.model)[0]:
                    gui.set_model(name, save=True)
                self.rects[f"model:{name}"] = item_rect()
            imgui.end_combo()
        self.rects["model_list"] = item_rect()

    def _key_section(self, provider: str) -> None:
        gui, store = self.gui, self.gui.chat.keys
        described = store.describe(provider)
        color = gui.theme.ok if store.source(provider) else gui.theme.warn
        imgui.text_colored(imgui.ImVec4(*color), described)
        buf = self.key_inputs.get(provider, "")
        imgui.set_next_item_width(-1)
        flags = (
            imgui.InputTextFlags_.password.value | imgui.InputTextFlags_.enter_returns_true.value
        )
        entered, buf = imgui.input_text_with_hint("##api_key", "paste an API key", buf, flags)
        self.rects["key_input"] = item_rect()
        self.key_inputs[provider] = buf
        if imgui.button("Save") or (entered and buf.strip()):
            gui.key_actions.save(provider, self.key_inputs.pop(provider, ""))
        self.rects["key_save"] = item_rect()
        imgui.same_line()
        if imgui.button("Remove"):
            gui.key_actions.remove(provider)
        self.rects["key_remove"] = item_rect()
        imgui.same_line()
        if imgui.button("Test connection"):
            gui.key_actions.test_connection(provider)
        self.rects["key_test"] = item_rect()
        note = self.key_notes.get(provider)
        if note:
            imgui.text_wrapped(note)
        listing = gui.chat.catalog.state(provider)
        line = listing.describe()
        if line:
            bad = listing.phase == "failed"
            imgui.text_colored(imgui.ImVec4(*(gui.theme.warn if bad else gui.theme.ok)), line)
        self._missing_model(listing.models if listing.phase == "ok" else ())
        if store.problem:
            imgui.text_colored(imgui.ImVec4(*gui.theme.warn), store.problem)
        if store.keychain_ok is False:
            imgui.text_wrapped(keys.NO_KEYCHAIN)
            changed, on = imgui.checkbox("Keep keys in a plain file instead", store.use_file)
            if changed:
                gui.key_actions.choose_file(on)
            if store.use_file:
                imgui.text_disabled(f"{keys.key_file()} (readable only by you)")

    def _missing_model(self, models: Sequence[str]) -> None:
        """The configured model is not in the server's list: say so and offer the list."""
        model = self.gui.chat.settings.model
        self.missing = bool(models) and model not in models
        if not self.missing:
            return
        imgui.text_colored(
            imgui.ImVec4(*self.gui.theme.warn), f"The server does not list '{model}'."
        )
        imgui.set_next_item_width(-1)
        flags = imgui.ComboFlags_.height_large.value
        if imgui.begin_combo("##listed", "Pick a listed model", flags):
            for name in models:
                if imgui.selectable(name, False)[0]:
                    self.gui.set_model(name, save=True)
                self.rects[f"listed:{name}"] = item_rect()
            imgui.end_combo()
        self.rects["listed"] = item_rect()

    def state(self) -> dict[str, Any]:
        """What the Provider panel shows (the key field as drawn: masked), for the hook API."""
        chat = self.gui.chat
        p = chat.settings.provider
        listing = chat.catalog.state(p)
        return {
            "key_status": chat.keys.describe(p),
            "key_input": "*" * len(self.key_inputs.get(p, "")),
            "key_note": self.key_notes.get(p, ""),
            "connection": listing.describe(),
            "models": list(listing.models),
            "model": chat.settings.model,
            "model_missing": self.missing,
            "keychain_ok": chat.keys.keychain_ok,
            "keychain_problem": chat.keys.problem,
            "rects": dict(self.rects),
        }
