"""The README is true: its apt list is the setup script's, its commands and flags are the
CLI's, its paths are the bundle's, and it says where the hook key comes from."""

from __future__ import annotations

import re
import subprocess

from sloppy_launcher.boot1_argv import TOOLING_COMMANDS

from sloppy.hooks.hook_key import KEY_ENV, KEY_FILE
from sloppy.store.paths import BUNDLE
from tests.support import ROOT
from tests.support.live import SLOPPY

README = (ROOT / "README.md").read_text()
FLAG = re.compile(r"--[a-z][a-z-]+")
#: An option as ``--help`` lists it (argparse and click): indented, first on its line.
OPTION = re.compile(r"^ {2,}(?:-\w, )?(--[a-z][a-z-]+)", re.M)
CODE = re.compile(r"`([^`]+)`")


def paragraph(starting: str) -> str:
    """The README paragraph that begins with ``starting``."""
    start = README.index(starting)
    end = README.find("\n\n", start)
    return README[start : end if end != -1 else None]


def setup_packages() -> set[str]:
    script = (ROOT / "scripts" / "setup_env.sh").read_text()
    match = re.search(r"^SYSTEM_PACKAGES=\((.*?)^\)", script, re.S | re.M)
    assert match is not None, "no SYSTEM_PACKAGES=( ... ) in setup_env.sh"
    lines = [line.split("#", 1)[0] for line in match.group(1).splitlines()]
    return {word for line in lines for word in line.split()}


def readme_packages() -> set[str]:
    return set(CODE.findall(paragraph("The first run installs these Debian packages")))


def test_the_apt_list_is_the_setup_scripts() -> None:
    assert readme_packages() == setup_packages()
    assert "valgrind" in readme_packages()


def test_the_apt_check_sees_a_missing_package() -> None:
    """Negative control: with one package dropped from the README's list, the sets differ."""
    text = paragraph("The first run installs these Debian packages").replace("`valgrind`", "")
    assert set(CODE.findall(text)) != setup_packages()


def options(*command: str) -> set[str]:
    """The options ``sloppy COMMAND --help`` lists."""
    proc = subprocess.run(
        [SLOPPY, *command, "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return set(OPTION.findall(proc.stdout))


def command_rows() -> list[tuple[str, list[str]]]:
    """``(first code span, every code span)`` of each row of the command-line table."""
    table = README[README.index("| command line | meaning |") :].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    return [(CODE.findall(row)[0], CODE.findall(row)) for row in rows]


def subcommand(code: str) -> list[str]:
    """``["bench", "compare"]`` for ``sloppy bench compare BASE HEAD``; [] for app options."""
    words = code.removeprefix(".venv/bin/").split()
    if len(words) < 2 or words[0] != "sloppy" or words[1] not in TOOLING_COMMANDS:
        return []
    return [words[1], *([words[2]] if words[1] == "bench" and words[2:3] == ["compare"] else [])]


def test_the_app_options_are_the_clis() -> None:
    listed = {
        flag
        for first, _codes in command_rows()
        if not subcommand(first)
        for flag in FLAG.findall(first)
    }
    offered = options() - {"--help"}
    assert listed == offered


def test_every_tooling_command_and_flag_is_the_clis() -> None:
    checked = 0
    usage = [
        line.strip()
        for line in README.splitlines()
        if line.startswith("    ") and "sloppy " in line and subcommand(line.strip())
    ]
    rows = [(first, codes) for first, codes in command_rows() if subcommand(first)]
    assert {subcommand(first)[0] for first, _ in rows} == set(TOOLING_COMMANDS)
    for first, codes in [*rows, *((line, [line]) for line in usage)]:
        offered = options(*subcommand(first))
        named = {flag for code in codes for flag in FLAG.findall(code.split("#")[0])}
        assert named <= offered, (first, named - offered)
        checked += len(named)
    assert checked >= 6


def test_paths_and_the_hook_key() -> None:
    assert f"`{BUNDLE.contents}/{BUNDLE.share}/`" in README  # the .desktop template's folder
    hook_api = paragraph("Hook API (")
    assert KEY_ENV in hook_api and f"<config>/{KEY_FILE}" in hook_api
