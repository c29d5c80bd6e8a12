"""Stage 1: the command line, with the standard library only.

GUI and headless flags are parsed here; a tooling subcommand (``build``, ``bench``, ...) hands
the whole argv to the click CLI in ``sloppy_build.cli`` (the build tooling, shipped in the wheel,
not in the app bundle), which the GUI path never imports.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from sloppy.hooks import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    import argparse

TOOLING_COMMANDS = frozenset({"build", "bench", "verify", "install-desktop-entry"})


def _parser() -> argparse.ArgumentParser:
    import argparse  # not for a start without arguments (_no_arguments)

    p = argparse.ArgumentParser(
        prog="sloppy",
        description="A desktop LLM chat client. Tooling: sloppy build --dist DIR, sloppy bench.",
    )
    p.add_argument("--headless", action="store_true", help="no window: controller, warmup, hooks")
    p.add_argument("--enable-test-hooks", action="store_true", help="start the hook API server")
    p.add_argument(
        "--hook-port", type=int, default=DEFAULT_PORT, metavar="N", help="0 picks a free port"
    )
    p.add_argument(
        "--web-host", default=DEFAULT_HOST, metavar="ADDR", help="hook server address (loopback)"
    )
    p.add_argument("--startup-report", metavar="PATH", help="write the startup report JSON here")
    p.add_argument("--exit-when-warm", action="store_true", help="exit 0 once warmup is done")
    p.add_argument("--version", action="store_true", help="print versions and exit")
    return p


def _no_arguments() -> argparse.Namespace:
    """What ``_parser()`` gives for an empty command line, without importing argparse (the
    plain ``sloppy`` start: argparse and gettext are first-frame time)."""
    return cast(
        "argparse.Namespace",
        SimpleNamespace(
            headless=False,
            enable_test_hooks=False,
            hook_port=DEFAULT_PORT,
            web_host=DEFAULT_HOST,
            startup_report=None,
            exit_when_warm=False,
            version=False,
        ),
    )


def parse(argv: list[str]) -> argparse.Namespace | int:
    """The parsed flags, or an exit code when the work is already done (version, tooling)."""
    if not argv:
        return _no_arguments()
    if argv and argv[0] in TOOLING_COMMANDS:
        try:
            if getattr(sys, "frozen", False):
                raise ImportError("the app bundle has no build tooling")
            from sloppy_build.cli import main as cli_main
        except ImportError as exc:
            print(
                f"sloppy {argv[0]}: not available here ({exc}); it needs a source "
                "checkout or the wheel (see docs/release.md)",
                file=sys.stderr,
            )
            return 2
        from sloppy_launcher import boot0_signals

        boot0_signals.uninstall()
        return cli_main(argv)
    args = _parser().parse_args(argv)
    if not 0 <= args.hook_port <= 65535:
        _parser().error(f"--hook-port must be 0..65535, not {args.hook_port}")
    if args.enable_test_hooks:
        from sloppy.hooks.hook_key import env_key_problem

        problem = env_key_problem()
        if problem:
            _parser().error(problem)  # exit 2 before anything starts
    if args.version:
        from sloppy.versions import versions_text

        print(versions_text())
        return 0
    return args


if __name__ == "__main__":
    print(parse(sys.argv[1:]))
