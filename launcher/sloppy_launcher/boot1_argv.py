"""Stage 1: the command line, with the standard library only.

GUI and headless flags are parsed here; a tooling subcommand (``build``, ``bench``, ...) hands
the whole argv to the click CLI in ``sloppy_build.cli`` (the build tooling, shipped in the wheel,
not in the app bundle), which the GUI path never imports.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from sloppy.hooks import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    import argparse

#: Handed to the click CLI (``sloppy_build``): a checkout or the wheel, never the bundle.
TOOLING_COMMANDS = frozenset({"build", "bench", "verify"})
#: Handled here with the standard library, so the bundle can do it too.
DESKTOP_ENTRY = "install-desktop-entry"


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def _parser() -> argparse.ArgumentParser:
    import argparse  # not for a start without arguments (_no_arguments)

    tooling = (
        "Also: sloppy install-desktop-entry [--remove] (Linux menu entry)."
        if _frozen()
        else "Tooling: sloppy build --dist DIR, sloppy verify --dist DIR, sloppy bench ..., "
        "sloppy install-desktop-entry [--remove]."
    )
    p = argparse.ArgumentParser(prog="sloppy", description=f"A desktop LLM chat client. {tooling}")
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


def _no_console_streams() -> None:
    """A windowed app (Windows ``console=False``) has no stdout/stderr: ``None``, on which any
    ``print`` or ``flush`` later would fail. Point them at the null device instead."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def desktop_entry(argv: list[str]) -> int:
    """``install-desktop-entry [--remove]`` with the standard library (works in the bundle)."""
    import argparse

    p = argparse.ArgumentParser(
        prog="sloppy install-desktop-entry",
        description="Add sloppy (this bundle or installation) to the Linux application menu.",
    )
    p.add_argument("--remove", action="store_true", help="remove the entry and icon instead")
    p.add_argument("--data-home", metavar="DIR", help="instead of $XDG_DATA_HOME")
    args = p.parse_args(argv)
    from pathlib import Path

    from sloppy import desktop

    base = Path(args.data_home) if args.data_home else None
    if args.remove:
        for path in desktop.uninstall(base):
            print(f"removed {path}")
        return 0
    try:
        written = desktop.install(base)
    except OSError as exc:
        print(f"sloppy install-desktop-entry: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"installed {path}")
    return 0


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
    _no_console_streams()
    if not argv:
        return _no_arguments()
    if argv[:1] == [DESKTOP_ENTRY]:
        return desktop_entry(argv[1:])
    if argv and argv[0] in TOOLING_COMMANDS:
        try:
            if _frozen():
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
