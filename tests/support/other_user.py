"""Another local user (``nobody``) acting on sloppy's folders when they are left open to others.

The tests run as root, so what sloppy writes is root's; ``as_nobody`` runs one step as
``nobody`` (``setpriv``) under umask 000, with the system Python and the standard library only
(the checkout's virtualenv may not be readable by nobody). ``open_base`` gives a folder that
nobody can reach but not list, to build a world-writable home in.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"


def _nobody() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


NOBODY = _nobody()
NOBODY_UID = NOBODY.pw_uid if NOBODY is not None else -1


def skip_unless_possible() -> None:
    """Skip unless this is Linux, run by root, with ``setpriv``, ``nobody`` and a system Python."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("acting as another user needs root on Linux")
    if NOBODY is None or shutil.which("setpriv") is None or not os.path.exists(SYSTEM_PYTHON):
        pytest.skip("needs setpriv, the nobody user and /usr/bin/python3")


def as_nobody(
    script: str, *args: str, background: bool = False
) -> subprocess.CompletedProcess[str] | subprocess.Popen[str]:
    """Run ``python3 -c script args`` as nobody with umask 000; a foreground step must exit 0."""
    assert NOBODY is not None
    cmd = [
        "setpriv",
        f"--reuid={NOBODY.pw_uid}",
        f"--regid={NOBODY.pw_gid}",
        "--clear-groups",
        "sh",
        "-c",
        'umask 000; exec "$@"',
        "sh",
        SYSTEM_PYTHON,
        "-c",
        script,
        *args,
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd="/")
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, timeout=60, env=env, cwd="/"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def nobody_can_write(path: Path) -> bool:
    """Whether nobody can open ``path`` for writing (or create it)."""
    probe = (
        "import os, sys\n"
        "try:\n"
        "    os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o666))\n"
        "except OSError:\n"
        "    print('no')\n"
        "else:\n"
        "    print('yes')\n"
    )
    proc = as_nobody(probe, str(path))
    assert isinstance(proc, subprocess.CompletedProcess)
    return proc.stdout.strip() == "yes"


@contextlib.contextmanager
def open_base() -> Iterator[Path]:
    """A fresh folder in /tmp that nobody may enter (0711) but not list; removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="sloppy-other-user-"))
    try:
        os.chmod(base, 0o711)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """This process (and what it starts) under ``mask``."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def loose_home(base: Path, *roles: str) -> Path:
    """``base/home`` and its ``roles`` folders as a umask-000 sloppy left them: ours, 0777."""
    home = base / "home"
    for folder in (home, *(home / r for r in roles)):
        folder.mkdir(exist_ok=True)
        os.chmod(folder, 0o777)
    return home
