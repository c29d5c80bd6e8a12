"""Stage 2: the import machinery sloppy adds before anything heavy can load.

The recorder goes first on ``sys.meta_path`` so it sees every later load (the import profile);
the warm-cache finder, when a valid cache exists, serves warm modules from one mmap'd file.
"""

from __future__ import annotations

from sloppy.app.profiler import PROFILER
from sloppy.warm import cache, import_recorder


def install(process_start_epoch: float) -> import_recorder.Finders:
    """Note the process start, install the warm cache (if usable), then the recorder in front
    of it (handed the cache's executor); returns both for the runtime."""
    PROFILER.process_start_epoch = process_start_epoch
    with PROFILER.phase("boot.warm_cache"):
        warm_cache = cache.install(deferred=None)
    with PROFILER.phase("boot.recorder"):
        execute = warm_cache.execute if warm_cache is not None else None
        recorder = import_recorder.install(execute=execute)
    return import_recorder.Finders(recorder, warm_cache)
