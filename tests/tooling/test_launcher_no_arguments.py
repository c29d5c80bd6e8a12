"""A start without arguments skips argparse and gets exactly what the parser would give."""

from __future__ import annotations

import subprocess
import sys

from sloppy_launcher import boot1_argv


def test_no_arguments_gives_the_parsers_defaults() -> None:
    assert vars(boot1_argv.parse([])) == vars(boot1_argv._parser().parse_args([]))


def test_no_arguments_imports_no_argparse() -> None:
    code = (
        "import sys; from sloppy_launcher import boot1_argv, boot3_app; boot1_argv.parse([]);"
        "print('argparse' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
