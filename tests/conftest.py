"""Shared fixtures: an isolated SLOPPY_HOME, throwaway modules, a provider stub, a keychain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.interpreter import loaded_after
from tests.support.modules import ModuleFactory, new_factory
from tests.support.xvfb import Display


@pytest.fixture(autouse=True)
def sloppy_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SLOPPY_HOME, and no provider keys from the developer's shell."""
    home = tmp_path / "sloppy-home"
    monkeypatch.setenv("SLOPPY_HOME", str(home))
    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
        "SLOPPY_HOOK_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    # Never the developer's keychain: no backend by default (tests that need one pick
    # sloppy_testkit.keyring_backend.FileKeyring); an in-process choice is forgotten between tests.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("SLOPPY_TEST_KEYRING", raising=False)
    core = sys.modules.get("keyring.core")
    if core is not None:
        monkeypatch.setattr(core, "_keyring_backend", None)
    return home


@pytest.fixture(autouse=True)
def meta_path_guard() -> Iterator[None]:
    """Fail a test that leaves finders on ``sys.meta_path``, and put the list back.

    A leaked recorder or warm-cache finder would sit in front of every later import of the
    session and change what the following tests measure.
    """
    before = list(sys.meta_path)
    yield
    leaked = [f for f in sys.meta_path if not any(f is b for b in before)]
    # Libraries may add their own finders once, at first import (importlib_metadata's
    # MetadataPathFinder, pulled in by keyring): only sloppy's own finders count as leaks.
    ours = [f for f in leaked if type(f).__module__.startswith(("sloppy", "tests"))]
    sys.meta_path[:] = before + [f for f in leaked if f not in ours]
    assert ours == [], f"the test left finders on sys.meta_path: {ours}"


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleFactory]:
    """Throwaway importable modules (``tests.support.modules``); gates are opened after."""
    root = tmp_path / "mods"
    root.mkdir()
    factory = new_factory(root)
    monkeypatch.syspath_prepend(str(root))
    try:
        yield factory
    finally:
        for gate in factory.gates.values():
            gate.set()


@pytest.fixture(scope="module")
def display() -> Iterator[Display]:
    """A private Xvfb display for the module's GUI tests (skipped without Xvfb, except in CI)."""
    d = Display()
    yield d
    d.close()


@pytest.fixture
def sigint_deliverable() -> Iterator[None]:
    """Children inherit an ignored SIGINT (pytest started as a shell's background job), and
    sloppy keeps a signal its parent ignores: make it deliverable for the test."""
    before = signal.getsignal(signal.SIGINT)
    if before is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.fixture
def controller_factory() -> Iterator[Callable[..., Any]]:
    """``make(**kwargs)`` builds an ``AppController``; every one made is shut down after."""
    from sloppy.app.controller import AppController

    made: list[AppController] = []

    def make(**kwargs: Any) -> AppController:
        c = AppController(**kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown()


@pytest.fixture
def stub():
    """A provider stub (OpenAI, Anthropic, Gemini wire formats) on a free loopback port."""
    from sloppy_testkit.provider_stub import start_stub

    s = start_stub()
    yield s
    s.close()


@pytest.fixture
def fresh_modules() -> Callable[[str], set[str]]:
    """Modules loaded in a fresh interpreter after running the given import statement."""
    return loaded_after


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real Secret Service (gnome-keyring, unlocked) on a private D-Bus session bus.

    Yields the bus address, also set as ``DBUS_SESSION_BUS_ADDRESS`` for this test; keyring's
    own backend discovery is left to find it (``PYTHON_KEYRING_BACKEND`` unset).
    """
    import shutil
    import signal

    missing = [t for t in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(t) is None]
    if missing:
        if os.environ.get("CI"):
            raise RuntimeError(f"{missing} missing: test.sh installs gnome-keyring")
        pytest.skip(f"{', '.join(missing)} not installed (./test.sh installs gnome-keyring)")
    home = tmp_path / "keyring-home"
    run = home / "run"
    run.mkdir(parents=True, mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(run)}
    env["XDG_DATA_HOME"] = str(home / "data")
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=20,
        check=True,
    ).stdout.split()
    address, pid = bus[0], int(bus[1])
    try:
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
            input="test-password",
            capture_output=True,
            text=True,
            env=env,
            timeout=20,
            check=True,
        )
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))  # no keyringrc.cfg
        monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
        yield address
    finally:
        os.kill(pid, signal.SIGTERM)  # gnome-keyring-daemon leaves with its bus
