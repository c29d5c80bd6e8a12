"""The warm list: every heavy module sloppy loads in the background, declared once as data.

Instead of ``import anthropic`` at the top of a feature module, add the module here and reach
it with ``sloppy.warm.engine._require_warmed("anthropic")``. The controller, the planner, the
PyInstaller spec (hidden imports), the gates and the benchmarks all read this table.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import NamedTuple

#: Test escape hatch: comma-separated modules warmed after the list below (tests force a
#: failure with a module that raises). Read once by the launcher, then passed in.
EXTRA_ENV = "SLOPPY_WARM_EXTRA"


class WarmEntry(NamedTuple):
    """One heavy module: what it is called, what users see while it loads, when it is needed."""

    module: str
    label: str
    hooks_only: bool = False
    #: The distribution that ships it, for a provider SDK (``--version`` names it).
    dist: str = ""


WARM_LIST: tuple[WarmEntry, ...] = (
    # The providers' SDKs (each provider table row names one of these by its module).
    WarmEntry("openai", "OpenAI SDK", dist="openai"),
    WarmEntry("anthropic", "Anthropic SDK", dist="anthropic"),
    WarmEntry("google.genai", "Gemini SDK", dist="google-genai"),
    WarmEntry("numpy", "numpy (charts)"),
    WarmEntry("sloppy.ui.palette", "command palette"),
    WarmEntry("sloppy.ui.theme_nerv", "NERV theme"),
    WarmEntry("sloppy.ui.theme_nerv_fx", "NERV effects"),
    WarmEntry("sloppy.ui.markdown_table", "markdown tables"),
    WarmEntry("sloppy.ui.markdown_view", "message formatting"),
    WarmEntry("sloppy.ui.window_title", "window title"),
    WarmEntry("sloppy.ui.conversations_panel", "conversation list"),
    WarmEntry("sloppy.ui.diagnostics_panel", "diagnostics panel"),
    # Links in replies open in the browser from the pool.
    WarmEntry("webbrowser", "web links"),
    # keyring and the backend it picks (Linux: SecretStorage, jeepney, cryptography).
    WarmEntry("sloppy.store.keychain", "keychain"),
    WarmEntry("fastapi", "FastAPI", hooks_only=True),
    WarmEntry("fastapi.security.api_key", "FastAPI security", hooks_only=True),
    WarmEntry("uvicorn", "uvicorn", hooks_only=True),
    WarmEntry("uvicorn.protocols.http.h11_impl", "uvicorn HTTP", hooks_only=True),
)

#: Third-party packages allowed on the path to the first frame, beside the standard library
#: and sloppy's own modules that are not on the warm list (platformdirs: 3 ms, paths only).
#: Environment defaults for what the lane loads, set before it starts (a value the user set
#: wins). numpy's OpenBLAS otherwise starts a thread per core at import that spins for about
#: 0.1 s: the charts need no BLAS threads, and the spinning one takes a core from the window.
WARM_ENVIRONMENT: Mapping[str, str] = {"OPENBLAS_NUM_THREADS": "1"}

FIRST_FRAME_PACKAGES: tuple[str, ...] = ("imgui_bundle", "platformdirs")

#: Modules that must never load on the main thread (the runtime purity test's denylist, and
#: the static gate's: never imported on the first-frame path nor inside a function body).
MAIN_THREAD_DENYLIST: tuple[str, ...] = (
    *(e.module for e in WARM_LIST),
    "pydantic",
    "requests",
    "keyring",
    "secretstorage",
    "jeepney",
    "cryptography",
)


#: The provider SDKs: the warm list's entries that name a distribution.
SDKS: tuple[WarmEntry, ...] = tuple(e for e in WARM_LIST if e.dist)


def warm_modules(*, hooks: bool, extra: Sequence[str] = ()) -> list[str]:
    """The modules to warm, in declaration order (the default plan), then ``extra``."""
    listed = [e.module for e in WARM_LIST if hooks or not e.hooks_only]
    return listed + [m for m in extra if m not in listed]


def set_environment(environ: MutableMapping[str, str]) -> None:
    """``WARM_ENVIRONMENT`` into ``environ`` where unset (call before any thread starts)."""
    for name, value in WARM_ENVIRONMENT.items():
        environ.setdefault(name, value)


def extra_from_env(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The modules named by ``SLOPPY_WARM_EXTRA`` (empty when unset)."""
    return tuple(m.strip() for m in environ.get(EXTRA_ENV, "").split(",") if m.strip())


def label(module: str) -> str:
    """The user-facing name of a warm-listed module (``Loading <label>...``)."""
    for entry in WARM_LIST:
        if entry.module == module:
            return entry.label
    return module
