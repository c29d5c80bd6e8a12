"""Tooling subcommands in a frozen bundle: one clear line on stderr, non-zero, no traceback."""

from __future__ import annotations

import sys

import pytest
from sloppy_launcher import boot1_argv


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
