from __future__ import annotations

import importlib
import importlib.resources
import sys
import threading
from collections.abc import Iterator

import pytest

from sloppy.warm import import_recorder
from sloppy.warm.import_recorder import ImportRecorder, _TimingLoader


def test_records_import_module_loads_with_thread_and_restores_loader(modules) -> None:
    rec = ImportRecorder()
    sys.meta_path.insert(0, rec)
    try:
        name = modules.make("X = 1\n")
        t = threading.Thread(target=importlib.import_module, args=(name,), name="worker-7")
        t.start()
        t.join()
    finally:
        sys.meta_path.remove(rec)
    (load,) = [entry for entry in rec.loads if entry.name == name]
    assert load.thread == "worker-7"
    assert load.duration >= 0 and load.start >= 0
    assert load.source == "filesystem"
    mod = sys.modules[name]
    assert not isinstance(mod.__loader__, _TimingLoader)
    assert mod.__spec__ is not None and mod.__file__ is not None
    assert not isinstance(mod.__spec__.loader, _TimingLoader)
    assert mod.__file__.endswith(f"{name}.py")


def test_packages_keep_resources_working() -> None:
    rec = ImportRecorder()
    sys.meta_path.insert(0, rec)
    saved = {k: v for k, v in sys.modules.items() if k.startswith("email")}
    for k in saved:
        del sys.modules[k]
    try:
        mod = importlib.import_module("email.mime.text")
        assert mod.MIMEText is not None
        assert importlib.resources.files("email").joinpath("__init__.py").is_file()
    finally:
        sys.meta_path.remove(rec)
        # Drop every email module this test loaded: one left behind (email.policy) would be a
        # child the restored parent package has no attribute for, breaking later imports.
        for k in [k for k in sys.modules if k.startswith("email")]:
            del sys.modules[k]
        sys.modules.update(saved)
    assert any(entry.name == "email.mime.text" for entry in rec.loads)


def test_gate_is_called_before_each_load(modules) -> None:
    rec = ImportRecorder()
    seen: list[str] = []
    rec.gate.attach(seen.append)
    sys.meta_path.insert(0, rec)
    try:
        name = modules.make()
        importlib.import_module(name)
    finally:
        sys.meta_path.remove(rec)
    assert name in seen
    rec.gate.detach(seen.append)
    seen.clear()
    sys.meta_path.insert(0, rec)
    try:
        importlib.import_module(modules.make())
    finally:
        sys.meta_path.remove(rec)
    assert seen == []


@pytest.fixture
def no_installed_recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process without the recorder; whatever the test installs is removed afterwards."""
    monkeypatch.setattr(import_recorder, "_installed", None)
    before = list(sys.meta_path)
    yield
    sys.meta_path[:] = before


def test_install_is_idempotent(no_installed_recorder: None) -> None:
    first = import_recorder.install()
    assert import_recorder.install() is first
    assert import_recorder.current() is first
    assert sys.meta_path[0] is first and sys.meta_path.count(first) == 1
