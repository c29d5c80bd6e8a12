"""The wheel: only sloppy-named top-level packages, the entry module the import gate audits."""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.support import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    from hatchling.builders.wheel import WheelBuilder

    # The build writes src/sloppy/_version.py from HEAD; put the installed one back, so that
    # processes the rest of the session starts report the same version as this one.
    version_file = ROOT / "src" / "sloppy" / "_version.py"
    before = version_file.read_bytes() if version_file.exists() else None
    try:
        (built,) = list(WheelBuilder(str(ROOT)).build(directory=str(out), versions=["standard"]))
    finally:
        if before is not None:
            version_file.write_bytes(before)
    return Path(built)


def test_only_sloppy_named_top_level_packages(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == {"sloppy", "sloppy_launcher", "sloppy_build"}
    assert "sloppy_launcher/sloppy_main.py" in names
    assert "sloppy_build/sloppy.spec" in names
    assert "sloppy_build/packaging/hook-imgui_bundle.py" in names
    assert "sloppy_build/packaging/baked_profile.json" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_console_script_is_the_audited_entry(wheel: Path) -> None:
    gate = ast.parse((ROOT / "scripts" / "audit_main_thread_imports.py").read_text())
    (entry,) = [
        ast.literal_eval(node.value)
        for node in gate.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "ENTRY"
    ]
    zf = zipfile.ZipFile(wheel)
    (ep_name,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.read_string(zf.read(ep_name).decode())
    target = parser["console_scripts"]["sloppy"]
    assert target == f"{entry}:main"


def test_unpacked_wheel_runs_from_its_own_files(wheel: Path, tmp_path: Path) -> None:
    """No checkout folder on the path (-S skips the editable .pth): the wheel alone runs."""
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    deps = sysconfig.get_path("purelib")
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
        "import sloppy_launcher.sloppy_main as m, sloppy, sloppy_build;"
        "assert all(x.__file__.startswith(sys.argv[1]) for x in (m, sloppy, sloppy_build));"
        "sys.exit(m.main(['--version']))"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code, str(unpacked), deps],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("sloppy ")


def test_tooling_hand_over_reaches_the_cli_in_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """``sloppy verify --help`` from the wheel alone: the launcher finds ``sloppy_build.cli``."""
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    assert "sloppy_build/cli.py" in zipfile.ZipFile(wheel).namelist()
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
        "import sloppy_launcher.sloppy_main as m;"
        "rc = m.main(['verify', '--help']);"
        "cli = sys.modules['sloppy_build.cli'];"
        "assert cli.__file__.startswith(sys.argv[1]), cli.__file__;"
        "sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code, str(unpacked), sysconfig.get_path("purelib")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--dist" in proc.stdout


def test_the_wheel_carries_the_tag_derived_version(wheel: Path) -> None:
    """One source: the name, METADATA and sloppy/_version.py agree with the release tags."""
    from sloppy import vcs_version

    version = vcs_version.current(ROOT).version
    assert wheel.name.startswith(f"sloppy-{version.replace('-', '_')}-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert f"\nVersion: {version}\n" in zf.read(metadata).decode()
        assert version in zf.read("sloppy/_version.py").decode()
        # sloppy build from the wheel needs the licence texts of native components.
        assert "sloppy_build/packaging/licenses/MIT.txt" in names
