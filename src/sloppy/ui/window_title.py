"""The window title at run time (hello_imgui sets it once, GLFW can change it), and waking
the window's event wait for exactly one frame.

imgui_bundle's native module links the ``libglfw`` it ships; asking the dynamic loader for
that library by its soname returns the copy already loaded, so ``glfwSetWindowTitle`` acts on
the window hello_imgui made. Warm-listed (``ctypes`` stays off the first frame); call
``set_title`` on the GUI thread (GLFW's rule for window functions), ``wake`` from any thread
while the window is open (``glfwPostEmptyEvent``; ``frame_cap.Waker`` keeps to that).
"""

from __future__ import annotations

import ctypes
import logging
import sys
from pathlib import Path

import imgui_bundle
from imgui_bundle import hello_imgui

log = logging.getLogger(__name__)

#: Where imgui_bundle's GLFW is, by the names it ships under (first found wins).
_NAMES = {
    "linux": ("libglfw.so.3", "libglfw.so"),
    "darwin": ("libglfw.3.dylib",),
    "win32": ("glfw3.dll",),
}


def _load() -> ctypes.CDLL | None:
    here = Path(imgui_bundle.__file__).parent
    for name in _NAMES.get(sys.platform, ()):
        for candidate in (name, str(here / name)):
            try:
                lib = ctypes.CDLL(candidate)
            except OSError:
                continue
            lib.glfwSetWindowTitle.argtypes = (ctypes.c_void_p, ctypes.c_char_p)
            lib.glfwSetWindowTitle.restype = None
            lib.glfwPostEmptyEvent.argtypes = ()
            lib.glfwPostEmptyEvent.restype = None
            return lib
    log.info("window title: no GLFW library found; the title stays as it started")
    return None


_glfw = _load()


def set_title(title: str) -> bool:
    """Set the window's title; False if it cannot be set (no GLFW window or library)."""
    # In the native module, not in imgui_bundle's type stubs.
    window = hello_imgui.get_glfw_window_address()  # type: ignore[attr-defined]
    if _glfw is None or not window:
        return False
    _glfw.glfwSetWindowTitle(ctypes.c_void_p(window), title.encode("utf-8"))
    return True


def wake() -> bool:
    """End the window's event wait now (one frame); False without the GLFW library."""
    if _glfw is None:
        return False
    _glfw.glfwPostEmptyEvent()
    return True
