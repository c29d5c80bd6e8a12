"""The Diagnostics panel: start-up phases, warm modules, the import waterfall, files, versions."""

from __future__ import annotations

from imgui_bundle import imgui, implot

from sloppy import versions
from sloppy.store import paths
from sloppy.ui.panel_host import PanelHost, item_rect, table
from sloppy.warm.engine import _require_warmed, is_warm

#: The waterfall draws loads longer than this.
BAR_MIN_S = 0.002


class DiagnosticsPanel:
    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self._versions: dict[str, str] | None = None
        self._implot_ready = False
        #: The waterfall's x range as drawn and where its data ends (for the hook API).
        self.waterfall: dict[str, object] = {}
        self.rects: dict[str, list[float]] = {}

    def draw(self) -> None:
        gui = self.gui
        ctl = gui.controller
        if self._header("Start-up phases", opened=True):
            t0 = ctl.profiler.process_start_epoch
            table(
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
        if self._header("Warm modules", opened=True):
            t0 = ctl.profiler.process_start_epoch
            table(
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
        if self._header("Import waterfall"):
            self._waterfall()
        if self._header("Files"):
            for role, path in paths.all_dirs().items():
                imgui.text(f"{role}: {path}")
        if self._header("Versions"):
            if self._versions is None:
                self._versions = versions.versions()
            for name, version in self._versions.items():
                imgui.text(f"{name}: {version}")

    def _header(self, label: str, *, opened: bool = False) -> bool:
        """A collapsing section header (its rectangle kept for GUI tests); True if open."""
        flags = imgui.TreeNodeFlags_.default_open.value if opened else 0
        shown = imgui.collapsing_header(label, flags)
        self.rects[f"header:{label}"] = item_rect()
        return shown

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
        shown = [ld for ld in loads if ld.duration > BAR_MIN_S]
        # The y axis names each row's thread: no legend to cover the bars.
        no_legend = implot.Flags_.no_legend.value
        if implot.begin_plot("##waterfall", imgui.ImVec2(-1, 260), no_legend):
            # Both axes fit the bars drawn (not an earlier, longer range).
            fit = implot.AxisFlags_.auto_fit.value
            implot.setup_axes("seconds since start", "thread", fit, fit)
            ticks = np.arange(len(threads), dtype=np.float64)
            if threads:
                implot.setup_axis_ticks(implot.ImAxis_.y1.value, ticks, threads, False)
            for row, thread in enumerate(threads):
                mine = [ld for ld in shown if ld.thread == thread]
                if not mine:
                    continue
                xs = np.array(
                    [v for ld in mine for v in (ld.start, ld.start + ld.duration, np.nan)],
                    dtype=np.float64,
                )
                ys = np.full(xs.shape, float(row))
                implot.plot_line(thread, xs, ys)
            limits = implot.get_plot_limits()
            self.waterfall = {
                "x": [limits.x.min, limits.x.max],
                "data_end": max((ld.start + ld.duration for ld in shown), default=0.0),
                "legend": False,
            }
            implot.end_plot()
        imgui.text_disabled(f"{len(loads)} loads recorded; bars show loads over 2 ms")

    def state(self) -> dict[str, object]:
        return {"rects": dict(self.rects), "waterfall": dict(self.waterfall)}

    def shutdown(self) -> None:
        if self._implot_ready:
            implot.destroy_context()
            self._implot_ready = False
