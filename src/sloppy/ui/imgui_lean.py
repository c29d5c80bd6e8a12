"""imgui_bundle without its package facade: the native module, and nothing a window does not need.

Instead of ``import imgui_bundle`` running the package's ``__init__`` (which also imports
asyncio, ssl, json, inspect, ctypes, subprocess, tokenize and a notebook patcher: about 140
modules a window never uses, docs/measurements.md), ``install()`` puts a bare package module
in ``sys.modules`` that holds the native submodules (``imgui``, ``hello_imgui``, ``implot``...)
and sets hello_imgui's assets folder as the facade does. Its Python submodules
(``imgui_bundle.immapp``...) still import as usual, and any other name the facade exports is
looked up on first use (``__getattr__``). The launcher calls it before the window's imports.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from importlib.machinery import PathFinder
from typing import Any

NAME = "imgui_bundle"
#: Native submodules published under their facade name, as the facade's ``_publish`` does.
PUBLISHED = ("imgui", "hello_imgui", "implot")
#: Names the facade publishes for a native submodule under another name.
RENAMED = {"imgui_md": "rich_md"}


def install() -> bool:
    """Make ``imgui_bundle`` the bare package; False (and nothing changed) if it is loaded
    already or cannot be found: the usual import then runs the facade."""
    if NAME in sys.modules:
        return False
    spec = PathFinder.find_spec(NAME)
    if spec is None or not spec.submodule_search_locations or not spec.origin:
        return False
    pkg = types.ModuleType(NAME)
    pkg.__spec__, pkg.__file__ = spec, spec.origin
    pkg.__path__ = list(spec.submodule_search_locations)
    pkg.__loader__ = spec.loader
    pkg.__package__ = NAME
    sys.modules[NAME] = pkg
    try:
        native = importlib.import_module(f"{NAME}._imgui_bundle")
        for name in PUBLISHED:
            setattr(pkg, name, getattr(native, name))
            sys.modules[f"{NAME}.{name}"] = getattr(native, name)
        pkg.__version__ = native.__version__  # type: ignore[attr-defined]
        imgui = native.imgui
        imgui.Dir_, imgui.SortDirection_ = imgui.Dir, imgui.SortDirection
        native.hello_imgui.override_assets_folder(os.path.join(pkg.__path__[0], "assets"))
    except Exception:  # an imgui_bundle laid out otherwise: let the facade do its work
        for key in [k for k in sys.modules if k == NAME or k.startswith(NAME + ".")]:
            del sys.modules[key]
        return False
    pkg.__getattr__ = _facade_name  # type: ignore[method-assign]
    return True


def _facade_name(name: str) -> Any:
    """A name the facade would export: a native submodule, a Python submodule, or imgui's."""
    native = sys.modules[f"{NAME}._imgui_bundle"]
    if name.startswith("__"):
        raise AttributeError(name)
    native_name = RENAMED.get(name, name)
    if hasattr(native, native_name):
        value = getattr(native, native_name)
        if isinstance(value, types.ModuleType):  # as the facade's _publish does
            sys.modules[f"{NAME}.{name}"] = value
    elif hasattr(native.imgui, name):  # ImVec2, ImVec4, FLT_MAX...
        value = getattr(native.imgui, name)
    else:
        try:
            value = importlib.import_module(f"{NAME}.{name}")
        except ImportError:
            raise AttributeError(f"module {NAME!r} has no attribute {name!r}") from None
    setattr(sys.modules[NAME], name, value)
    return value
