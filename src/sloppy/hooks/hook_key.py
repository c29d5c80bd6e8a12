"""The hook API key: ``SLOPPY_HOOK_KEY``, else a random key kept 0600 in the config dir.

Instead of reading the key file with ``read_text`` (which hangs on /dev/zero and crashes on
a directory or garbage), call ``resolve_key()``: a file that is not a plausible key, or not
the user's own (another user could have chosen it), is set aside and replaced. Standard
library and lean modules only: the launcher checks the variable.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from sloppy.store import aside, files, paths

KEY_ENV = "SLOPPY_HOOK_KEY"
KEY_FILE = "hook_key"
#: Shorter keys are refused: a key is all that stands between the API and a local web page.
MIN_KEY_LEN = 16
MAX_KEY_LEN = 1024

log = logging.getLogger(__name__)


def usable(key: str) -> bool:
    """``MIN_KEY_LEN``..``MAX_KEY_LEN`` printable ASCII characters without spaces."""
    return MIN_KEY_LEN <= len(key) <= MAX_KEY_LEN and all("!" <= c <= "~" for c in key)


def env_key_problem() -> str | None:
    """Why ``SLOPPY_HOOK_KEY`` cannot be used (never quoting it), or None if it is unset or fine."""
    env = os.environ.get(KEY_ENV)
    if not env or usable(env):  # empty counts as unset
        return None
    return (
        f"{KEY_ENV} must be {MIN_KEY_LEN} to {MAX_KEY_LEN} printable ASCII characters without"
        f" spaces (it has {len(env)} characters); unset it to use a generated key"
    )


def key_path() -> Path:
    return paths.config_dir() / KEY_FILE


def resolve_key() -> tuple[str, Path | None]:
    """The key and the file it came from (None for the variable).

    Raises ValueError when the variable is set but unusable (the launcher refuses it first),
    OSError when the config folder cannot be used (another user's, say).
    """
    problem = env_key_problem()
    if problem:
        raise ValueError(problem)
    env = os.environ.get(KEY_ENV)
    if env:
        return env, None
    path = key_path()
    paths.prepare_dir(path.parent)
    try:
        text = files.read_text(path, limit=4096, private=True)
    except files.Unreadable as exc:
        aside.set_aside(path, str(exc), prune_copies=True)
        text = None
    if text is not None:
        if usable(text.strip()):
            _owner_only(path)
            return text.strip(), path
        aside.set_aside(path, "not a usable key", prune_copies=True)
    key = secrets.token_urlsafe(32)
    files.write_atomic(path, key.encode("ascii"), mode=0o600)
    return key, path


def _owner_only(path: Path) -> None:
    """A key file others can read is no secret: back to 0600 (one warning)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            log.warning("%s was readable by others (mode %o); now 0600", path, mode)
    except OSError as exc:
        log.warning("cannot restrict %s to its owner: %s", path, exc)
