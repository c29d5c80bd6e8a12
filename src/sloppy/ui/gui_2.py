"""The GUI: a lean hello_imgui skeleton that presents its first frame before anything heavy.

Path to the first frame: runner params, default theme, status bar, docking layout. Warmup
starts after the first presented frame (``after_swap``); feature modules (palette, NERV theme,
markdown tables, the SDKs) arrive through ``_require_warmed`` once warm.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any

import imgui_bundle
from imgui_bundle import hello_imgui, imgui

from sloppy.app.profiler import PROFILER
from sloppy.app.report import INPUT_AFTER_WARM_S
from sloppy.app.runtime import Runtime, RuntimeOptions
from sloppy.providers import keys
from sloppy.providers.table import (
    DEFAULT_PROVIDER,
    PROVIDERS,
)
from sloppy.store import aside, paths, settings
from sloppy.ui import commands, events, panel_host, panels, theme
from sloppy.ui.actions import ChatActions, KeyActions
from sloppy.ui.frame_cap import (
    STARTUP_FRAMES,
    FrameCap,
    Waker,
    WakingEventBus,
    input_wants_frames,
    pace_idling,
)
from sloppy.ui.layout_ini import LAYOUT_FILE, check_layout
from sloppy.ui.status_bar import StatusBar, draw_status_bar, status_bar
from sloppy.ui.theme_models import Theme
from sloppy.ui.theme_switch import ThemeSwitch
from sloppy.ui.toasts import (
    ASIDE_TOAST_S,
    TOAST_S,
    UNDO_TOAST_S,
    Toasts,
    aside_text,
    warm_done_toast,
)
from sloppy.warm import import_recorder, warmlist
from sloppy.warm.engine import WarmupError, _require_warmed, is_warm
from sloppy.warm.pacer import FramePacer, one_cpu

log = logging.getLogger(__name__)

PALETTE = "sloppy.ui.palette"
NERV_FX = "sloppy.ui.theme_nerv_fx"
#: Nice level of the warm lane under a window. 0: a niced lane yields to every process on the
#: machine, not just to the GUI, and on a shared machine it warmed slower with no better frames
#: (docs/design.md); the frame pacer already keeps it out of the GUI thread's Python span.
LANE_NICE = 0
#: GIL switch interval during warmup: a frame re-takes the GIL several times (hello_imgui
#: releases it around render and swap); frame p50 17 ms at 0.5 ms vs 27 ms at the default 5.
LANE_SWITCH_INTERVAL = 0.0005
#: Multisampling off (hello_imgui defaults to 8x): imgui anti-aliases its own lines, fills and
#: text, so screenshots with 8x and without differ only in toast fade timing, while on software
#: GL (llvmpipe) 8x doubled the frame time during warmup (p50 43 -> 19 ms, docs/design.md).
MSAA_SAMPLES = 0
#: sloppy's own hello_imgui assets: ``app_settings/icon.png`` is the window icon (drawn by
#: packaging/icons/draw_icon.py); fonts still come from imgui_bundle's assets.
ASSETS = Path(__file__).resolve().parents[1] / "assets"
WINDOW_TITLE = "sloppy.ui.window_title"


def title_for(conversation: str) -> str:
    """The window title: ``sloppy — <conversation>``, or ``sloppy`` while it has no title."""
    return f"sloppy — {conversation}" if conversation else "sloppy"


class SloppyGui:
    """Owns the runner params and the per-frame callbacks."""

    def __init__(
        self,
        options: RuntimeOptions,
        *,
        finders: import_recorder.Finders | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.last_aside = -1
        with PROFILER.phase("gui.settings"):
            self.settings = settings.load()
        provider = (
            self.settings.provider if self.settings.provider in PROVIDERS else DEFAULT_PROVIDER
        )
        self.settings.use_provider(provider)
        self.pacer = FramePacer(whole_frame=one_cpu())
        self.frame_cap = FrameCap()
        self.runtime = Runtime(
            options,
            finders=finders,
            stop_requested=stop,
            lane_nice=LANE_NICE,
            lane_switch_interval=LANE_SWITCH_INTERVAL,
            pace=self.pacer.wait_turn,
            # What a send needs, first from the very first run: the saved keys (the panel
            # reads them right after the first frame), then the configured provider's SDK.
            first_warm=(keys.KEYCHAIN, panel_host.sdk_of(provider)),
        )
        self.controller, self.chat, self.report = (
            self.runtime.controller,
            self.runtime.chat,
            self.runtime.report,
        )
        with PROFILER.phase("gui.chat_settings"):
            self.chat.select(provider, self.settings.model or None, self.settings.base_url)
            self.chat.set_stream_limits(self.settings.stream_idle_s, self.settings.stream_total_s)
            self.chat.discussion.name = self.settings.discussion or "default"
            # Opened here, from the hook API or by clear/delete: the next start reopens it.
            self.chat.on_switch.append(lambda name: setattr(self.settings, "discussion", name))
            # Asked for now (the panel says "checking the keychain..."), read after frame one.
            self._key_loads: list[Any] = []
            self.chat.keys.start_loading(self._key_loads.append)
        #: Wakes the idle wait from any thread (the lane's progress, posted events, warm done).
        self.waker = Waker(WINDOW_TITLE)
        self.events: events.EventBus = WakingEventBus(self.waker)
        self.toasts = Toasts()
        self.palette: Any = None
        self.palette_wanted = False
        self.frames = 0
        self._run_epoch = self._post_init_epoch = time.time()
        self.last_swap: float | None = None
        self._noting_input = True
        self.prompt = ""
        #: The title last given to the window (None: the one it started with).
        self.window_title: str | None = None
        self.actions = ChatActions(
            self.chat,
            self.controller.spawn_io,
            self.events.post,
            stream=self.controller.spawn_stream,
            durable=self.controller.spawn_durable,
        )
        self.panels = panels.Panels(self)
        self.key_actions = KeyActions(
            self.chat, self.panels.key_notes, self.controller.spawn_io, self.events.post
        )
        self.command_table = commands.command_table(self)
        with PROFILER.phase("gui.runner_params"):
            self.params = self._runner_params()
        self.themes = ThemeSwitch(
            self.params, events=self.events, spawn=self.controller.spawn_io, toast=self.toast
        )

    @property
    def theme(self) -> Theme:
        return self.themes.current

    # -- set-up ------------------------------------------------------------------------

    def _runner_params(self) -> hello_imgui.RunnerParams:
        p = hello_imgui.RunnerParams()
        p.app_window_params.window_title = "sloppy"
        p.app_window_params.window_geometry.size = (1200, 800)
        p.app_window_params.restore_previous_geometry = True  # size and place, per user
        if (ASSETS / "app_settings" / "icon.png").is_file():
            # hello_imgui takes the first ``app_settings/icon.png`` in its asset folders.
            hello_imgui.set_assets_folder(str(ASSETS))
            hello_imgui.add_assets_search_path(str(Path(imgui_bundle.__file__).parent / "assets"))
        p.imgui_window_params.default_imgui_window_type = (
            hello_imgui.DefaultImGuiWindowType.provide_full_screen_dock_space
        )
        p.imgui_window_params.show_status_bar = True
        p.imgui_window_params.show_status_fps = False
        p.imgui_window_params.show_menu_bar = True
        p.imgui_window_params.show_menu_view_themes = False
        p.imgui_window_params.remember_theme = False
        # Only the default font: icon fonts cost first-frame time and we draw no icons.
        p.callbacks.default_icon_font = hello_imgui.DefaultIconFont.no_icons
        config = paths.ensure_dir(paths.config_dir())
        if config is not None:
            check_layout(config / LAYOUT_FILE)
            p.ini_folder_type = hello_imgui.IniFolderType.absolute_path
            p.ini_filename = str(config / LAYOUT_FILE)
        else:
            p.ini_disable = True
        p.renderer_backend_options.open_gl_options.anti_aliasing_samples = MSAA_SAMPLES
        # The first frame is drawn at once; ``_pace_idling`` decides from the second on.
        p.fps_idling.enable_idling = False
        p.callbacks.post_init = self._post_init
        p.callbacks.setup_imgui_style = self._setup_style
        p.callbacks.show_gui = self._frame
        p.callbacks.show_status = self._status_bar
        p.callbacks.show_menus = functools.partial(commands.draw_menus, self.command_table)
        p.callbacks.after_swap = self._after_swap
        p.callbacks.pre_new_frame = self.pacer.ui_begin
        p.callbacks.before_imgui_render = self.pacer.before_render
        p.callbacks.before_exit = self._before_exit
        p.docking_params = self.panels.docking()
        return p

    def _setup_style(self) -> None:
        # hello_imgui's own theme step: the Default theme is the look from the first frame on,
        # the same as when switching back to it.
        self.themes.apply(self.theme)

    def _post_init(self) -> None:
        # Window, GL context and font atlas: hello_imgui's part of the first frame.
        PROFILER.record("gui.window", self._run_epoch, time.time())
        with PROFILER.phase("gui.post_init"):
            imgui.get_style().font_scale_main = settings.clamp_font_scale(self.settings.font_scale)
        self.waker.opened()
        self._post_init_epoch = time.time()

    def _after_swap(self) -> None:
        self.pacer.after_swap()
        now = time.perf_counter()
        self.frames += 1
        if self.frames == 1:
            first = self.report.mark_first_frame()
            PROFILER.record("gui.first_frame", self._post_init_epoch, first)
            self._after_first_frame()
        elif self.report.warm_done_epoch is None and self.last_swap is not None:
            self.report.frame_times_ms.append((now - self.last_swap) * 1000.0)
        self.last_swap = now
        if self._noting_input:
            pos = imgui.get_io().mouse_pos
            self.report.note_frame(time.time(), pos.x, pos.y)
            done = self.report.warm_done_epoch
            self._noting_input = done is None or time.time() < done + INPUT_AFTER_WARM_S

    def _after_first_frame(self) -> None:
        """Everything that must not delay the first frame starts here."""
        self.panels.drop_dockspace_background()
        with PROFILER.phase("gui.start_background"):
            self.controller.on_warmup_complete(self._on_warm_done)
            # The lane's progress changes the status bar: draw it (called on the lane).
            self.controller.warmup.on_progress.append(self.waker)
            self.runtime.start(gui_state=self.state)
            # Last of the completion callbacks: after the report and the stop request.
            self.controller.on_warmup_complete(self.waker)
            # Saved keys come from the keychain (warm-listed: this demand moves it up the lane).
            for load in self._key_loads:
                self._load_keys(load)
            self.controller.spawn_io(self._restore)
            if self.settings.theme != "default":
                self.set_theme(self.settings.theme, save=False)

    def _load_keys(self, load: Any) -> None:
        def job() -> None:
            load()
            self.key_actions.refresh_models(self.chat.settings.provider)

        self.controller.spawn_io(job)

    def _restore(self) -> None:
        # A file set aside is toasted from storage's record (like every other one).
        self.chat.restore(self.chat.discussion.name)

    def _on_warm_done(self) -> None:
        failed = self.controller.warmup_status()["failed"]
        self.events.post("warm_done", failed=len(failed))

    def _before_exit(self) -> None:
        self.waker.closing()
        with PROFILER.phase("gui.before_exit"):
            settings.save(self.settings)

    # -- per frame ---------------------------------------------------------------------

    def _frame(self) -> None:
        if self.frames == 0:  # the style the first frame is drawn with, whoever set it
            self.themes.note_style()
        for ev in self.events.drain():
            self._handle(ev)
        for event in aside.events(self.last_aside):
            self.last_aside = event["seq"]
            self.toast(aside_text(event), "warn", ttl=ASIDE_TOAST_S)
        io = imgui.get_io()
        if io.key_ctrl and io.key_shift and imgui.is_key_pressed(imgui.Key.p, False):
            self.toggle_palette()
        self._keys(io)
        self.panels.fit(imgui.get_main_viewport())
        self._set_window_title()
        if self.palette_wanted and is_warm(PALETTE):
            self.palette_wanted = False
            self._palette().open()
        if self.palette is not None:
            chosen = self.palette.draw(self.palette_commands())
            if chosen is not None:
                chosen.action()
        self.toasts.draw(self.theme)
        if self.theme.effects and is_warm(NERV_FX):
            _require_warmed(NERV_FX).draw(imgui.get_time())
        self._pace_idling()
        if self.runtime.stop_requested.is_set():
            self.params.app_shall_exit = True

    def _keys(self, io: imgui.IO) -> None:
        """Esc stops a reply (unless it closes the palette); Ctrl+plus/minus/0 zoom."""
        palette_open = self.palette is not None and self.palette.is_open
        if self.chat.busy and not palette_open and imgui.is_key_pressed(imgui.Key.escape, False):
            self.stop_reply()
        if not io.key_ctrl:
            return
        if any(imgui.is_key_pressed(k) for k in (imgui.Key.equal, imgui.Key.keypad_add)):
            self.zoom(commands.ZOOM_STEP)
        elif any(imgui.is_key_pressed(k) for k in (imgui.Key.minus, imgui.Key.keypad_subtract)):
            self.zoom(-commands.ZOOM_STEP)
        elif any(imgui.is_key_pressed(k, False) for k in (imgui.Key._0, imgui.Key.keypad0)):
            self.zoom(0.0)

    def zoom(self, step: float) -> None:
        """Text size up or down by ``step``; 0 resets it. Remembered."""
        scale = 1.0 if step == 0 else self.settings.font_scale + step
        self.settings.font_scale = round(settings.clamp_font_scale(scale), 2)
        imgui.get_style().font_scale_main = self.settings.font_scale
        self.save_settings()

    def _set_window_title(self) -> None:
        wanted = title_for(self.chat.discussion.shown_title())
        if wanted != self.window_title and is_warm(WINDOW_TITLE):
            self.window_title = wanted
            _require_warmed(WINDOW_TITLE).set_title(wanted)

    def _pace_idling(self) -> None:
        warming = not self.controller.is_warmup_done()
        pace_idling(
            self.params.fps_idling,
            warming=warming,
            busy=self.chat.busy,
            fading=len(self.toasts) > 0,
            effects=self.theme.effects,
            # Sampled only while warming (it reads /proc/stat): the cap ends with warmup.
            cap_fps=self.frame_cap.fps() if warming and self.frames >= STARTUP_FRAMES else 0.0,
        )
        if warming and input_wants_frames():
            hello_imgui.request_refresh()

    def _handle(self, ev: events.Event) -> None:
        if ev.kind == "toast":
            self.toast(ev.data["text"], ev.data.get("kind", "info"))
        elif ev.kind == "warm_done":
            n_done = len(self.controller.warmup_status()["completed"])
            self.toast(*warm_done_toast(ev.data["failed"], n_done))
        elif ev.kind == "theme_ready":
            self.themes.ready(ev.data["name"])
        elif ev.kind == "undo":
            undo = ev.data["undo"]
            listing = self.panels.conversations.get()
            if listing is not None:
                listing.refresh()
            action = ("Undo", functools.partial(self.actions.undo, undo))
            self.toasts.add(undo.text, ttl=UNDO_TOAST_S, action=action)
        elif ev.kind == "key_note":
            self.panels.key_notes[ev.data["provider"]] = ev.data["text"]

    def toast(self, text: str, kind: str = "info", *, ttl: float = TOAST_S) -> None:
        self.toasts.add(text, kind, ttl=ttl)

    def _status_bar_now(self) -> StatusBar:
        status = self.controller.warmup_status()
        eta = None if status["done"] else self.controller.warmup_eta_s(status)
        settings = self.chat.settings
        return status_bar(status, eta, settings.provider, settings.model)

    def _status_bar(self) -> None:
        draw_status_bar(self._status_bar_now(), self.theme)

    # -- commands ----------------------------------------------------------------------

    def _palette(self) -> Any:
        if self.palette is None:
            self.palette = _require_warmed(PALETTE).Palette()
        return self.palette

    def toggle_palette(self) -> None:
        if is_warm(PALETTE):
            self._palette().toggle()
            return
        self.palette_wanted = True
        self.toast("Loading command palette...")
        self.controller.spawn_io(self._demand, PALETTE)

    def _demand(self, module: str) -> None:
        try:
            _require_warmed(module)
        except WarmupError as exc:
            self.events.post("toast", text=str(exc), kind="error")

    def palette_commands(self) -> list[commands.Command]:
        """What the palette offers."""
        return [c for c in self.command_table if c.palette]

    def focus(self, panel: str) -> None:
        self.panels.focus(panel)

    def stop_reply(self) -> None:
        self.chat.stop()

    def save_settings(self) -> None:
        self.controller.spawn_io(settings.save, self.settings)

    def set_provider(self, provider: str) -> None:
        # Each provider keeps its own model and base URL (the default model the first time).
        self.settings.use_provider(provider)
        self.chat.select(provider, self.settings.model or None, self.settings.base_url)
        self.settings.model = self.chat.settings.model
        self.controller.spawn_io(settings.save, self.settings)
        sdk = warmlist.label(panel_host.sdk_of(provider))
        if not is_warm(panel_host.sdk_of(provider)):
            self.toast(f"Loading {sdk}...")
        if self.chat.keys.loaded:
            self.controller.spawn_io(self.key_actions.refresh_models, provider)

    def set_model(self, model: str, *, save: bool = False) -> None:
        """Typed: kept (saved at exit); picked from the list: saved now."""
        s = self.chat.settings
        self.chat.select(s.provider, model, s.base_url)
        self.settings.model = model
        if save:
            self.controller.spawn_io(settings.save, self.settings)

    def set_theme(self, name: str, *, save: bool = True) -> None:
        if name not in theme.THEMES:
            return
        if save:
            self.settings.theme = name
            self.controller.spawn_io(settings.save, self.settings)
        self.themes.switch(name)

    def is_theme(self, name: str) -> bool:
        return self.theme.name == name

    def send(self) -> None:
        prompt = self.prompt.strip()
        if not prompt or self.chat.busy:
            return
        self.prompt = ""
        self.actions.send(prompt)

    def resend_edited(self) -> None:
        """Replace the last user message with the prompt box's text and ask again."""
        text = self.prompt.strip()
        if not text or self.chat.busy:
            return
        self.prompt = ""
        self.actions.edit_last(text)

    def toggle_conversations(self) -> None:
        self.settings.side_panel = self.panels.toggle(panels.CONVERSATIONS)
        self.save_settings()

    def conversations_shown(self) -> bool:
        return self.panels.shown(panels.CONVERSATIONS)

    def quit(self) -> None:
        self.runtime.request_stop()

    def state(self) -> dict[str, Any]:
        """What the hook API reports about the GUI (tests drive and check through it)."""
        return {
            "frames": self.frames,
            "theme": self.theme.name,
            "palette_open": bool(self.palette is not None and self.palette.is_open),
            "provider": self.chat.settings.provider,
            "discussion": self.chat.discussion.name,
            "busy": self.chat.busy,
            "discussion_title": self.chat.discussion.shown_title(),
            "system": self.chat.discussion.system,
            "window_title": self.window_title or "sloppy",
            "messages": [
                {"role": m.role, "text": m.text, "error": m.error, "stopped": m.stopped}
                for m in self.chat.messages()
            ],
            "toasts": self.toasts.texts(),
            "toast_rects": dict(self.toasts.rects),
            "font_scale": self.settings.font_scale,
            "send_key": self.settings.send_key,
            "style": self.themes.style_digest,
            "clear_color": self.themes.clear_color(),
            "status_bar": self._status_bar_now()._asdict(),
            **self.panels.state(),
        }

    # -- running -----------------------------------------------------------------------

    def run(self) -> int:
        self._run_epoch = time.time()
        try:
            if not self.runtime.stop_requested.is_set():  # a Ctrl+C while starting: no window
                hello_imgui.run(self.params)
        finally:
            self.panels.shutdown()
            self.runtime.shutdown()
        return 0


def run(
    options: RuntimeOptions,
    finders: import_recorder.Finders,
    stop: threading.Event | None = None,
) -> int:
    """Build the GUI and run it until the window closes or ``stop`` is set; returns 0.

    ``stop`` is the launcher's (set by SIGINT/SIGTERM from its first line, ``boot0_signals``).
    """
    with PROFILER.phase("gui.init"):
        gui = SloppyGui(options, finders=finders, stop=stop)
    return gui.run()
