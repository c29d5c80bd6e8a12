"""Cold-start benchmark: the floor, the eager app and sloppy, side by side (``sloppy bench``).

A thin front: the benchmark lives in ``sloppy_build.bench.startup`` on the same runner as
``sloppy bench compare`` (``--help`` lists the variants and options).
"""

from __future__ import annotations

import sys

from sloppy_build.bench.startup import main

if __name__ == "__main__":
    sys.exit(main())
