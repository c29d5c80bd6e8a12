"""The dockable panels: discussion, provider, diagnostics. Drawn every frame; nothing blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from imgui_bundle import hello_imgui, imgui, implot

from sloppy import versions
from sloppy.providers import keys
from sloppy.providers.table import PROVIDER_LABELS, PROVIDER_SDK, PROVIDERS
from sloppy.store import paths
from sloppy.ui import message_view
from sloppy.warm import warmlist
from sloppy.warm.engine import _require_warmed, is_warm

if TYPE_CHECKING:
    from sloppy.app.controller import AppController
    from sloppy.app.report import ReportWriter
    from sloppy.providers.chat import ChatSession
    from sloppy.store.settings import Settings
    from sloppy.ui.theme_models import Theme


class PanelHost(Protocol):
    """What the panels need of the window (``gui_2.SloppyGui`` is one): no import of it."""

    params: hello_imgui.RunnerParams
    controller: AppController
    chat: ChatSession
    report: ReportWriter
    settings: Settings
    theme: Theme
    prompt: str

    def send(self) -> None: ...
    def set_provider(self, provider: str) -> None: ...
    def set_model(self, model: str, *, save: bool = False) -> None: ...
    def save_key(self, provider: str, key: str) -> None: ...
    def remove_key(self, provider: str) -> None: ...
    def test_connection(self, provider: str) -> None: ...
    def choose_key_file(self, enabled: bool) -> None: ...


FIRST_RUN = (
    "Welcome to sloppy. To start, pick a provider in the Provider panel, paste your API key "
    "into the key field and press Save, then Test connection. Saved keys go to your "
    "system keychain."
)


#: Longer model lists get a filter field at the top of the drop-down.
MODEL_FILTER_AT = 12


def sdk_of(provider: str) -> str:
    return PROVIDER_SDK[provider]


def provider_choices() -> list[str]:
    """The Provider combo's items: the provider table's labels, in its order."""
    return [PROVIDER_LABELS[p] for p in PROVIDERS]


class Panels:
    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self._versions: dict[str, str] | None = None
        self._implot_ready = False
        self._scroll_to_end = True
        self._last_count = -1
        # What is typed in the key field, per provider, until saved (never shown: masked).
        self.key_inputs: dict[str, str] = {}
        self.key_notes: dict[str, str] = {}
        self.model_filter = ""
        self.message_view = message_view.MessageView(gui.controller.spawn_io)
        #: Screen rectangles of the key widgets (GUI tests click them).
        self.rects: dict[str, list[float]] = {}

    # -- layout ------------------------------------------------------------------------

    def docking(self) -> hello_imgui.DockingParams:
        d = hello_imgui.DockingParams()
        split = hello_imgui.DockingSplit("MainDockSpace", "SideSpace", imgui.Dir.right, 0.30)
        d.docking_splits = [split]
        windows = []
        for label, space, fn in (
            ("Discussion", "MainDockSpace", self.discussion),
            ("Provider", "SideSpace", self.provider),
            ("Diagnostics", "SideSpace", self.diagnostics),
        ):
            w = hello_imgui.DockableWindow()
            w.label, w.dock_space_name, w.gui_function = label, space, fn
            windows.append(w)
        d.dockable_windows = windows
        return d

    def focus(self, label: str) -> None:
        w = self.gui.params.docking_params.dockable_window_of_name(label)
        if w is not None:
            w.is_visible = True
            w.focus_window_at_next_frame = True

    # -- discussion --------------------------------------------------------------------

    def first_run(self) -> bool:
        """No key anywhere (app or environment) and nothing said yet: show ``FIRST_RUN``."""
        chat = self.gui.chat
        # Only once the keychain has answered: no welcome flashing past a signed-in user.
        return chat.keys.read_saved and not chat.keys.any_key() and not chat.discussion.messages

    def discussion(self) -> None:
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

    # -- provider ----------------------------------------------------------------------

    def provider(self) -> None:
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
        for drawn in [k for k in self.rects if k.startswith("model:")]:
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
                self.rects[f"model:{name}"] = self._item_rect()
            imgui.end_combo()
        self.rects["model_list"] = self._item_rect()

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
        self.rects["key_input"] = self._item_rect()
        self.key_inputs[provider] = buf
        if imgui.button("Save") or (entered and buf.strip()):
            gui.save_key(provider, self.key_inputs.pop(provider, ""))
        self.rects["key_save"] = self._item_rect()
        imgui.same_line()
        if imgui.button("Remove"):
            gui.remove_key(provider)
        self.rects["key_remove"] = self._item_rect()
        imgui.same_line()
        if imgui.button("Test connection"):
            gui.test_connection(provider)
        self.rects["key_test"] = self._item_rect()
        note = self.key_notes.get(provider)
        if note:
            imgui.text_wrapped(note)
        listing = gui.chat.catalog.state(provider)
        line = listing.describe()
        if line:
            bad = listing.phase == "failed"
            imgui.text_colored(imgui.ImVec4(*(gui.theme.warn if bad else gui.theme.ok)), line)
        if store.problem:
            imgui.text_colored(imgui.ImVec4(*gui.theme.warn), store.problem)
        if store.keychain_ok is False:
            imgui.text_wrapped(keys.NO_KEYCHAIN)
            changed, on = imgui.checkbox("Keep keys in a plain file instead", store.use_file)
            if changed:
                gui.choose_key_file(on)
            if store.use_file:
                imgui.text_disabled(f"{keys.key_file()} (readable only by you)")

    @staticmethod
    def _item_rect() -> list[float]:
        lo, hi = imgui.get_item_rect_min(), imgui.get_item_rect_max()
        return [lo.x, lo.y, hi.x, hi.y]

    def provider_state(self) -> dict[str, Any]:
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
            "keychain_ok": chat.keys.keychain_ok,
            "keychain_problem": chat.keys.problem,
            "rects": dict(self.rects),
        }

    # -- diagnostics -------------------------------------------------------------------

    def diagnostics(self) -> None:
        gui = self.gui
        ctl = gui.controller
        if imgui.collapsing_header("Start-up phases", imgui.TreeNodeFlags_.default_open.value):
            t0 = ctl.profiler.process_start_epoch
            self._table(
                "phases",
                ("phase", "start ms", "ms"),
                [
                    (
                        "  " * p["depth"] + p["name"],
                        f"{(p['start_epoch'] - t0) * 1000:.0f}",
                        "..." if p["duration_s"] is None else f"{p['duration_s'] * 1000:.1f}",
                    )
                    for p in ctl.profiler.phases()
                ],
            )
            ff = gui.report.first_frame_epoch
            if ff is not None:
                imgui.text(f"first frame: {(ff - t0) * 1000:.0f} ms after start")
            wd = gui.report.warm_done_epoch
            if wd is not None:
                imgui.text(f"warm done: {(wd - t0) * 1000:.0f} ms after start")
        records = ctl.warmup.records()
        if imgui.collapsing_header("Warm modules", imgui.TreeNodeFlags_.default_open.value):
            t0 = ctl.profiler.process_start_epoch
            self._table(
                "warm",
                ("module", "thread", "start ms", "ms", "source"),
                [
                    (
                        r["name"],
                        r["thread"],
                        f"{(r['start_epoch'] - t0) * 1000:.0f}",
                        f"{r['duration_s'] * 1000:.1f}",
                        (r["error"] and "FAILED") or r["source"],
                    )
                    for r in records
                ],
            )
            for f in ctl.warmup_status()["failed"]:
                imgui.text_colored(imgui.ImVec4(*gui.theme.warn), f"{f['module']}: {f['error']}")
        if imgui.collapsing_header("Import waterfall"):
            self._waterfall()
        if imgui.collapsing_header("Files"):
            for role, path in paths.all_dirs().items():
                imgui.text(f"{role}: {path}")
        if imgui.collapsing_header("Versions"):
            if self._versions is None:
                self._versions = versions.versions()
            for name, version in self._versions.items():
                imgui.text(f"{name}: {version}")

    @staticmethod
    def _table(table_id: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        flags = imgui.TableFlags_.borders.value | imgui.TableFlags_.row_bg.value
        if imgui.begin_table(table_id, len(header), flags):
            for name in header:
                imgui.table_setup_column(name)
            imgui.table_headers_row()
            for row in rows:
                imgui.table_next_row()
                for col, cell in enumerate(row):
                    imgui.table_set_column_index(col)
                    imgui.text_unformatted(cell)
            imgui.end_table()

    def _waterfall(self) -> None:
        """Every recorded module load as a bar on its thread's row (implot; numpy is warmed)."""
        if not is_warm("numpy"):
            imgui.text_disabled("Loading numpy (charts)...")
            return
        np = _require_warmed("numpy")
        if not self._implot_ready:
            implot.create_context()
            self._implot_ready = True
        recorder = self.gui.controller.finders.recorder
        loads = list(recorder.loads) if recorder is not None else []
        threads = sorted({ld.thread for ld in loads})
        if implot.begin_plot("##waterfall", imgui.ImVec2(-1, 260)):
            implot.setup_axes("seconds since start", "thread")
            ticks = np.arange(len(threads), dtype=np.float64)
            if threads:
                implot.setup_axis_ticks(implot.ImAxis_.y1.value, ticks, threads, False)
            for row, thread in enumerate(threads):
                mine = [ld for ld in loads if ld.thread == thread and ld.duration > 0.002]
                if not mine:
                    continue
                xs = np.array(
                    [v for ld in mine for v in (ld.start, ld.start + ld.duration, np.nan)],
                    dtype=np.float64,
                )
                ys = np.full(xs.shape, float(row))
                implot.plot_line(thread, xs, ys)
            implot.end_plot()
        imgui.text_disabled(f"{len(loads)} loads recorded; bars show loads over 2 ms")

    def shutdown(self) -> None:
        self.message_view.shutdown()
        if self._implot_ready:
            implot.destroy_context()
            self._implot_ready = False
