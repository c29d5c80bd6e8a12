"""Stage 2: the import machinery sloppy adds before anything heavy can load.

The recorder goes first on ``sys.meta_path`` so it sees every later load (the import profile);
the warm-cache finder, when a valid cache exists, serves warm modules from one mmap'd file.
"""

from __future__ import annotations

from sloppy.app.profiler import PROFILER
from sloppy.warm import cache as warm_cache
from sloppy.warm import recorder as import_recorder


def install(process_start_epoch: float) -> import_recorder.Finders:
    """Note the process start, install the warm cache (if usable), then the recorder in front
    of it (handed the cache's executor); returns both for the runtime."""
    PROFILER.process_start_epoch = process_start_epoch
    with PROFILER.phase("boot.warm_cache"):
        cache = warm_cache.install(deferred=None)
    with PROFILER.phase("boot.recorder"):
        recorder = import_recorder.install(execute=cache.execute if cache is not None else None)
    return import_recorder.Finders(recorder, cache)
