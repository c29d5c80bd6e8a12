"""``sloppy bench compare``: two builds of sloppy side by side, with a verdict people can trust.

``targets`` (what BASE and HEAD name), ``runner`` (one measured start), ``stats`` (the
decision), ``compare`` (the interleaved, adaptive, confirmed runs), ``report`` (Markdown, SVG),
``command`` (the click command). ``shim/sitecustomize.py`` logs imports in the child.
"""

from __future__ import annotations

from sloppy_build.bench.compare import METRICS, Options, compare
from sloppy_build.bench.targets import BenchError

__all__ = ["METRICS", "BenchError", "Options", "compare"]
