"""Progress of long tooling work: lines in a log, one redrawn line on a terminal."""

from __future__ import annotations

import io

from sloppy_build import progress


def run_stages(printer: progress.Printer) -> None:
    stages = progress.Stages(["environment", "PyInstaller"], printer)
    with stages.stage("environment"):
        pass
    with stages.stage("PyInstaller") as stage:
        for i in range(1, 4):
            stage.step(i, 3, f"phase {i}")


def test_a_log_gets_one_plain_line_per_stage_and_step() -> None:
    out = io.StringIO()
    run_stages(progress.Printer(out, tty=False))
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()
    assert lines[0].endswith("1/2 environment ...") and "1/2 environment: done in" in lines[1]
    assert lines[3].endswith("2/2 PyInstaller [########----------------] 1/3 phase 1")
    assert "2/2 PyInstaller: done in" in lines[-1] and len(lines) == 7


def test_a_terminal_gets_the_bar_redrawn_in_place() -> None:
    out = io.StringIO()
    run_stages(progress.Printer(out, tty=True))
    text = out.getvalue()
    assert text.count("\r\x1b[2K") >= 3  # the steps overwrite each other
    assert text.splitlines()[-1].endswith(
        tuple(f"done in {s} s" for s in range(5))
    )  # the stage's end stays


def test_bench_compare_progress_and_load_line_read_plainly() -> None:
    from sloppy_build.bench import report

    assert report.load_line([1.59, 1.23, 2.52, 2.0, 1.53, 2.47]) == "load 1.6 -> 2.0 (1 min)"
