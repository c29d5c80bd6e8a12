"""The warm lane: warm list, engine, planner, import profile, recorder, cache and pacer.

The public face is the plan's idiom: ``_require_warmed(name)`` and ``is_warm(name)``, resolved
lazily from ``sloppy.warm.engine`` so importing a ``sloppy.warm`` submodule costs nothing extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sloppy.warm.engine import WarmStatus, WarmupError, _require_warmed, is_warm

__all__ = ["WarmStatus", "WarmupError", "_require_warmed", "is_warm"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sloppy.warm import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
