"""Where sloppy keeps its files: the platform's folders, or all of them under ``$SLOPPY_HOME``.

Instead of ``platformdirs.user_cache_dir("sloppy")`` scattered around, call ``cache_dir()``.
Paths are computed on each call so tests (and ``SLOPPY_HOME``) can relocate them at any time.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path
from typing import NamedTuple

if sys.platform != "linux":
    # macOS and Windows: their conventions, through platformdirs. On Linux the XDG rules below
    # give the same folders without it (platformdirs.unix imports tempfile, shutil, random,
    # bz2 and lzma, all of which the window's first frame would pay for).
    import platformdirs

APP_NAME = "sloppy"
HOME_ENV = "SLOPPY_HOME"

log = logging.getLogger(__name__)
_warned: set[Path] = set()
#: sloppy's own folders already checked (and tightened) by this process.
_checked: set[Path] = set()


def _base(kind: str) -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser() / kind
    if sys.platform == "linux":
        return _xdg(kind)
    else:  # an else: a type checker on one platform skips the other's branch
        getter = {
            "config": platformdirs.user_config_dir,
            "cache": platformdirs.user_cache_dir,
            "data": platformdirs.user_data_dir,
            "logs": platformdirs.user_log_dir,
        }[kind]
        return Path(getter(APP_NAME, appauthor=False))


#: kind -> (XDG variable, its default under the home folder, what follows the app name)
_XDG = {
    "config": ("XDG_CONFIG_HOME", ".config", ""),
    "cache": ("XDG_CACHE_HOME", ".cache", ""),
    "data": ("XDG_DATA_HOME", ".local/share", ""),
    "logs": ("XDG_STATE_HOME", ".local/state", "log"),
}


def _xdg(kind: str) -> Path:
    """The XDG Base Directory folder for ``kind``, as ``platformdirs.unix`` resolves it: a
    variable that is unset, blank or not an absolute path means the default."""
    var, default, leaf = _XDG[kind]
    value = os.environ.get(var, "").strip()
    base = value if os.path.isabs(value) else os.path.join(os.path.expanduser("~"), default)
    return Path(base) / APP_NAME / leaf


def config_dir() -> Path:
    """Settings, window layout, the hook key."""
    return _base("config")


def cache_dir() -> Path:
    """The import profile and the warm cache: safe to delete, rebuilt on the next run."""
    return _base("cache")


def data_dir() -> Path:
    """Discussions: user data, never deleted by sloppy."""
    return _base("data")


def log_dir() -> Path:
    """Rotated log files."""
    return _base("logs")


def all_dirs() -> dict[str, Path]:
    """Every sloppy directory by role, for the diagnostics panel and the README."""
    return {"config": config_dir(), "cache": cache_dir(), "data": data_dir(), "logs": log_dir()}


def ensure_dir(path: Path) -> Path | None:
    """Create ``path`` if needed (``prepare_dir``); on failure warn once per path and return
    None (no raise)."""
    try:
        prepare_dir(path)
    except OSError as exc:
        if path not in _warned:
            _warned.add(path)
            log.warning("cannot use directory %s: %s", path, exc)
        return None
    return path


def prepare_dir(path: Path) -> None:
    """Instead of ``path.mkdir(parents=True)`` (folders as loose as the umask): folders sloppy
    creates are 0700, and sloppy's own folders are checked.

    sloppy's own: the four role folders (``all_dirs``) and everything under them. Each is
    checked once per process: owned by another user raises ``OSError``; open to others, it is
    tightened to 0700 (one log line). Folders above them (``$SLOPPY_HOME`` itself,
    ``~/.cache``) are the user's: created 0700 when missing, never changed when present.
    """
    make_dirs(path)
    if _private_checks():
        for folder in _own_folders(path):
            if folder not in _checked:
                _make_private(folder)
                _checked.add(folder)


def make_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents, each 0700 whatever the umask."""
    missing: list[Path] = []
    folder = path
    while not os.path.isdir(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
        else:
            os.chmod(folder, 0o700)  # mkdir's mode passes through the umask


def _private_checks() -> bool:
    return hasattr(os, "geteuid")  # POSIX: owners and modes mean something


def _own_folders(path: Path) -> list[Path]:
    """The folders from sloppy's role folder down to ``path`` (none if it is not under one)."""
    for role in all_dirs().values():
        if path == role or role in path.parents:
            folders = [role]
            for part in path.relative_to(role).parts:
                folders.append(folders[-1] / part)
            return folders
    return []


def _make_private(folder: Path) -> None:
    """Refuse a folder of another user; tighten one open to others to 0700 (on its fd)."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            raise PermissionError(f"owned by uid {st.st_uid}, not by you: not used")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            os.fchmod(fd, mode & 0o700)
            # Writable by others: anything in it may have been planted (the files sloppy
            # trusts check their own owner); readable only: a privacy fix.
            level = logging.WARNING if mode & 0o022 else logging.INFO
            log.log(
                level, "%s was open to other users (mode %o); now %o", folder, mode, mode & 0o700
            )
    finally:
        os.close(fd)


class BundleLayout(NamedTuple):
    """Where things are inside the frozen (PyInstaller onedir) bundle: ``DIST/sloppy/sloppy``.

    The one place its internal paths are spelled, for the app, the build tooling and the tests.
    Data paths are POSIX-style and relative to the contents directory (``sys._MEIPASS`` at run
    time), as the spec's ``datas`` name them.
    """

    #: The bundle directory under the build's ``--dist``, and its executable.
    dir_name: str = "sloppy"
    executable: str = "sloppy"
    #: PyInstaller's ``contents_directory``: everything but the executable.
    contents: str = "_internal"
    #: The build's content hash (keys the warm cache of a frozen run).
    build_id: str = "sloppy/build_id.txt"
    #: The training run's import profile: the first launch's warm plan.
    baked_profile: str = "sloppy/baked_profile.json"
    #: The release identity: version, commit, build id (``sloppy --version``).
    release: str = "sloppy/release.json"
    #: The desktop entry's template (``install-desktop-entry``).
    share: str = "share"

    def root(self, dist: Path) -> Path:
        """The bundle built into ``dist``."""
        return dist / self.dir_name

    def exe(self, bundle: Path) -> Path:
        """The executable in a built bundle (``.exe`` on Windows)."""
        return bundle / (self.executable + (".exe" if sys.platform == "win32" else ""))

    def inside(self, bundle: Path, relative: str) -> Path:
        """``relative`` (a data path above) in a built bundle whose root is ``bundle``."""
        return bundle / self.contents / relative

    def running(self, relative: str) -> Path | None:
        """``relative`` in the running bundle; None when not frozen."""
        base = getattr(sys, "_MEIPASS", None)
        return Path(base) / relative if base else None


BUNDLE = BundleLayout()


def warn_unwritable(path: Path, message: str) -> None:
    """Log ``message`` once per directory ``path`` (shared with ``ensure_dir``'s warning)."""
    if path not in _warned:
        _warned.add(path)
        log.warning("%s (%s); carrying on without saving there", message, path)
