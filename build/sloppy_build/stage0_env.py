"""Stage 0: the Python environment the bundle is frozen from: uv.lock's, or the current one.

The isolated environment holds exactly the locked runtime set plus the ``build`` extra
(PyInstaller): no dev tool can slip into the bundle, and two machines freeze the same
versions. It lives in the user cache, keyed by the lock, so a second build reuses it.
sloppy's own code is frozen from the checkout (``sloppy.spec`` puts it on the path).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import platformdirs

CHECKOUT = Path(__file__).resolve().parents[2]
LOCK = "uv.lock"


@dataclass(frozen=True)
class BuildEnv:
    python: Path
    site_packages: Path
    isolated: bool

    def describe(self) -> str:
        return f"{'isolated (uv.lock)' if self.isolated else 'current'}: {self.python}"


def current() -> BuildEnv:
    """The running interpreter's environment (``--current-env``, for development)."""
    return BuildEnv(Path(sys.executable), Path(sysconfig.get_path("purelib")), isolated=False)


def uv_binary() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:
        import shutil

        found = shutil.which("uv")
        if found is None:
            raise RuntimeError(
                "sloppy build needs uv to create its environment from uv.lock "
                "(pip install uv), or --current-env"
            ) from None
        return found
    return str(find_uv_bin())


def env_dir(checkout: Path) -> Path:
    key = hashlib.sha256()
    for name in (LOCK, "pyproject.toml"):
        key.update((checkout / name).read_bytes())
    key.update(sys.version.encode())
    return Path(platformdirs.user_cache_dir("sloppy-build", appauthor=False)) / (
        "env-" + key.hexdigest()[:16]
    )


def python_in(env: Path) -> Path:
    return env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def isolated(checkout: Path = CHECKOUT) -> BuildEnv:
    """Create (or bring up to date) the environment of uv.lock; raises ``RuntimeError``."""
    if not (checkout / LOCK).is_file():
        raise RuntimeError(
            f"no {LOCK} in {checkout}: the locked build needs a source checkout "
            "(use --current-env to freeze the installed packages)"
        )
    env = env_dir(checkout)
    cmd = [uv_binary(), "sync", "--locked", "--no-install-project", "--extra", "build"]
    cmd += ["--python", sys.executable, "--quiet"]
    proc = subprocess.run(
        cmd,
        cwd=checkout,
        env=dict(os.environ) | {"UV_PROJECT_ENVIRONMENT": str(env), "UV_PYTHON_DOWNLOADS": "never"},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        hint = " (run `uv lock` and commit uv.lock)" if "--locked" in proc.stderr else ""
        raise RuntimeError(f"uv sync failed{hint}:\n{proc.stderr[-2000:]}")
    python = python_in(env)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return BuildEnv(python, Path(site), isolated=True)
