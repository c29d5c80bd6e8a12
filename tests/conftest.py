"""Shared fixtures: a sealed session home, per-test SLOPPY_HOME, throwaway modules, a provider
stub, warmed SDKs, a keychain, a display."""

# ruff: noqa: E402 - the session is sealed before anything below imports sloppy
from __future__ import annotations

from tests.support import sealed_home

SEAL = sealed_home.seal()

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sloppy.app.controller import AppController
from sloppy.hooks.hook_key import KEY_ENV
from sloppy.providers.table import PROVIDER_TABLE
from sloppy.warm import engine
from tests.support.interpreter import loaded_after
from tests.support.modules import ModuleFactory, new_factory
from tests.support.warmed import PROVIDER_MODULES, warmed
from tests.support.xvfb import Display

#: The providers' variables (keys, base URLs) a developer's shell may hold: tests never see them.
PROVIDER_ENV = sorted({v for p in PROVIDER_TABLE for v in (*p.key_env, p.base_url_env)})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if the real home's sloppy folders changed; then drop the sealed home."""
    changes = SEAL.changes()
    if changes:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = ["the tests changed the real home's sloppy folders:", *changes]
        if reporter is not None:
            reporter.write_sep("=", "sealed home", red=True)
            for line in lines:
                reporter.write_line(line)
        else:
            print("\n".join(lines), file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    SEAL.remove()


@pytest.fixture(autouse=True)
def sloppy_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SLOPPY_HOME, and no provider keys from the developer's shell."""
    home = tmp_path / "sloppy-home"
    monkeypatch.setenv("SLOPPY_HOME", str(home))
    for var in [*PROVIDER_ENV, KEY_ENV]:
        monkeypatch.delenv(var, raising=False)
    # Never the developer's keychain: no backend by default (tests that need one pick
    # sloppy_testkit.keyring_backend.FileKeyring); an in-process choice is forgotten between tests.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("SLOPPY_TEST_KEYRING", raising=False)
    core = sys.modules.get("keyring.core")
    if core is not None:
        monkeypatch.setattr(core, "_keyring_backend", None)
    return home


@pytest.fixture
def real_keyring_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring picks its backend itself, as for a user (no ``PYTHON_KEYRING_BACKEND``); pair it
    with ``purity.keyring_discovery_env`` so that it finds no real keychain."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)


@pytest.fixture(scope="module")
def module_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SLOPPY_HOME of the module's own, for its module-scoped fixtures and between its tests.

    A module-scoped fixture requests it first: sloppy pins some paths when an object is made
    (a controller's import profile), before any test's own home is set.
    """
    home = tmp_path_factory.mktemp("module-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SLOPPY_HOME", str(home))
        yield home


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


@pytest.fixture(scope="module")
def warm_sdks(module_home: Path) -> Iterator[AppController]:
    """One controller per module that has warmed the provider SDKs and the keychain module."""
    c = warmed(PROVIDER_MODULES)
    yield c
    c.shutdown()


@pytest.fixture
def sdks(warm_sdks: AppController) -> AppController:
    """``warm_sdks``, its engine the active one for this test (``_require_warmed`` reads it)."""
    engine.activate(warm_sdks.warmup)
    return warm_sdks


@pytest.fixture
def controller_factory() -> Iterator[Callable[..., Any]]:
    """``make(**kwargs)`` builds an ``AppController``; every one made is shut down after."""
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
