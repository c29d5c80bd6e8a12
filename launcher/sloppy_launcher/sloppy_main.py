"""``sloppy``: the console script and the script PyInstaller freezes.

Reads in start-up order: catch stop signals (boot0), parse argv (boot1), install the import
finders (boot2), run the app (boot3). Tooling subcommands leave at boot1 for the click CLI.
"""

from __future__ import annotations

import sys
import time

# A frozen bundle's runtime hook notes the time before this script is unpacked.
PROCESS_START_EPOCH: float = getattr(sys, "_sloppy_start_epoch", None) or time.time()

# First: a Ctrl+C during the imports below is a clean stop request, not a traceback.
try:
    from sloppy_launcher import boot0_signals

    boot0_signals.install()
except KeyboardInterrupt:  # even before the handler was in place: stop, quietly
    raise SystemExit(0) from None

from sloppy_launcher import boot1_argv, boot2_finders, boot3_app  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run sloppy with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    args = boot1_argv.parse(sys.argv[1:] if argv is None else argv)
    if isinstance(args, int):
        return args
    finders = boot2_finders.install(PROCESS_START_EPOCH)
    return boot3_app.run(args, finders, boot0_signals.REQUESTED)


if __name__ == "__main__":
    sys.exit(main())
