"""Tooling subcommands in a frozen bundle: one clear line on stderr, non-zero, no traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sloppy_launcher import boot1_argv

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", sorted(boot1_argv.TOOLING_COMMANDS))
def test_tooling_in_a_bundle_says_why_in_one_line(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert boot1_argv.parse([command, "--dist", "x"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and f"sloppy {command}: " in err
    assert "source checkout or the wheel" in err and "Traceback" not in err


def test_tooling_from_source_reaches_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert boot1_argv.parse(["verify", "--help"]) == 0
    assert "--dist" in capsys.readouterr().out


def test_bench_compare_help_is_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    """``sloppy bench`` passes --help on: to ``compare``'s options, not the wrapper's usage."""
    assert boot1_argv.parse(["bench", "compare", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage: sloppy bench compare" in out and "--min-effect" in out
    assert boot1_argv.parse(["bench", "compare", "--no-such-option"]) == 2


def test_a_bundle_installs_its_desktop_entry_from_its_own_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bundle has no click and no checkout: the launcher does it with the stdlib, reading
    the template the spec put in ``_internal/share``."""
    from sloppy.store.paths import BUNDLE

    meipass = tmp_path / "_internal"
    template = ROOT / "packaging" / "linux" / "sloppy.desktop.in"
    (meipass / BUNDLE.share).mkdir(parents=True)
    (meipass / BUNDLE.share / template.name).write_text(
        template.read_text().replace("Name=sloppy", "Name=sloppy (bundled template)")
    )
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(meipass), raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/sloppy/sloppy")
    home = tmp_path / "data"
    assert boot1_argv.parse(["install-desktop-entry", "--data-home", str(home)]) == 0
    entry = home / "applications" / "sloppy.desktop"
    text = entry.read_text()
    assert "Name=sloppy (bundled template)" in text and "Exec=/opt/sloppy/sloppy" in text
    assert f"installed {entry}" in capsys.readouterr().out
    assert boot1_argv.parse(["install-desktop-entry", "--remove", "--data-home", str(home)]) == 0
    assert not entry.exists() and "removed" in capsys.readouterr().out


def test_the_bundle_help_lists_only_what_a_bundle_can_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with pytest.raises(SystemExit):
        boot1_argv.parse(["--help"])
    frozen_help = capsys.readouterr().out
    assert "install-desktop-entry" in frozen_help
    assert "build" not in frozen_help and "bench" not in frozen_help
    monkeypatch.setattr(sys, "frozen", False)
    with pytest.raises(SystemExit):
        boot1_argv.parse(["--help"])
    assert "sloppy build --dist DIR" in capsys.readouterr().out


def test_a_windowed_app_without_stdout_prints_nowhere_instead_of_failing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Windows' windowed bundle (console=False) starts with sys.stdout and sys.stderr None."""
    from sloppy_launcher import boot3_app

    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert boot1_argv.parse(["--version"]) == 0
    assert sys.stdout is not None and sys.stderr is not None
    assert sys.stdout.name == os.devnull
    sys.stdout.flush()  # what exit_promptly does
    assert boot3_app.exit_promptly(0) == 0
