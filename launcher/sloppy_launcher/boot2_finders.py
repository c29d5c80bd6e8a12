"""Stage 2: the import machinery sloppy adds before anything heavy can load.

The recorder goes first on ``sys.meta_path`` so it sees every later load (the import profile);
the warm-cache finder, when a valid cache exists, serves warm modules from one mmap'd file.
"""

from __future__ import annotations

from sloppy import import_recorder, warm_cache
from sloppy.startup_profiler import PROFILER


def install(process_start_epoch: float) -> None:
    """Note the process start, install the recorder, then the warm cache if it is usable."""
    PROFILER.process_start_epoch = process_start_epoch
    with PROFILER.phase("boot.recorder"):
        import_recorder.install()
    with PROFILER.phase("boot.warm_cache"):
        warm_cache.install()
