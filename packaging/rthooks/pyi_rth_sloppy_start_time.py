"""Runtime hook: note the start time before the bundle's entry script is even loaded.

The launcher reports it as ``process_start_epoch``, so frozen timings include PyInstaller's
own start-up the way source timings include the interpreter's.
"""

import sys
import time

sys._sloppy_start_epoch = time.time()  # type: ignore[attr-defined]
