"""The static import gate catches planted violations and passes the real tree."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support import ROOT

SCRIPT = ROOT / "scripts" / "audit_main_thread_imports.py"


def plant(root: Path, files: dict[str, str]) -> Path:
    base = {
        "launcher/sloppy_launcher/__init__.py": "",
        "launcher/sloppy_launcher/sloppy_main.py": "from sloppy_launcher import boot3_app\n",
        "launcher/sloppy_launcher/boot3_app.py": "def run():\n    from sloppy.ui import gui_2\n",
        "src/sloppy/__init__.py": "",
        "src/sloppy/ui/__init__.py": "",
        "src/sloppy/ui/gui_2.py": (
            "import json\nfrom imgui_bundle import imgui\nfrom sloppy import feature\n"
        ),
        "src/sloppy/feature.py": "import os\n",
    }
    for rel, text in {**base, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def audit(root: Path) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, proc.stdout


def test_real_tree_is_clean() -> None:
    code, out = audit(ROOT)
    assert code == 0, out
    assert out.startswith("audit: clean:") and len(out.strip().splitlines()) == 1


def test_clean_planted_tree(tmp_path: Path) -> None:
    code, out = audit(plant(tmp_path, {}))
    assert code == 0, out


def test_module_level_heavy_import_on_the_path(tmp_path: Path) -> None:
    root = plant(tmp_path, {"src/sloppy/feature.py": "import os\nimport numpy as np\n"})
    code, out = audit(root)
    assert code == 1
    assert "src/sloppy/feature.py:2: numpy" in out


def test_heavy_import_nested_in_a_package_init(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "src/sloppy/ui/gui_2.py": "from sloppy.sub.leaf import X\n",
            "src/sloppy/sub/__init__.py": "from anthropic import Anthropic\n",
            "src/sloppy/sub/leaf.py": "X = 1\n",
        },
    )
    code, out = audit(root)
    assert code == 1
    assert "src/sloppy/sub/__init__.py:1: anthropic" in out


def test_from_package_import_submodule_is_caught(tmp_path: Path) -> None:
    root = plant(tmp_path, {"src/sloppy/feature.py": "from google import genai\n"})
    code, out = audit(root)
    assert code == 1 and "src/sloppy/feature.py:1: google.genai" in out


def test_class_body_and_module_level_try_count(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "src/sloppy/feature.py": (
                "try:\n    import fastapi\nexcept ImportError:\n    pass\n"
                "class A:\n    import uvicorn\n"
            )
        },
    )
    code, out = audit(root)
    assert code == 1
    assert "feature.py:2: fastapi" in out and "feature.py:6: uvicorn" in out


def test_warmed_sloppy_module_on_the_path(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "src/sloppy/feature.py": "from sloppy.ui import palette as command_palette\n",
            "src/sloppy/ui/palette.py": "X = 1\n",
        },
    )
    code, out = audit(root)
    assert code == 1 and "feature.py:1: sloppy.ui.palette" in out


def test_heavy_import_inside_a_function_anywhere(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "src/sloppy/offpath.py": (
                "def send():\n    import openai\n    return openai\n"
                "def other():\n    import importlib\n    return importlib.import_module('numpy')\n"
            )
        },
    )
    code, out = audit(root)
    assert code == 1
    assert "src/sloppy/offpath.py:2: openai (imported inside a function" in out
    assert "src/sloppy/offpath.py:6: numpy" in out


def test_type_checking_and_function_imports_off_the_path_are_fine(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "src/sloppy/feature.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    import numpy\n"
                "def f():\n    import click\n"
            )
        },
    )
    code, out = audit(root)
    assert code == 0, out


def test_third_party_not_on_the_allowlist(tmp_path: Path) -> None:
    root = plant(tmp_path, {"src/sloppy/feature.py": "import click\n"})
    code, out = audit(root)
    assert code == 1 and "feature.py:1: click" in out


def test_gui2_audit_classifies_first_frame_and_gated(tmp_path: Path) -> None:
    out = tmp_path / "audit.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_gui2_imports.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    text = out.read_text()
    assert "0 warm-listed modules on the first-frame path" in proc.stdout
    first_frame = text.split("## Feature-gated")[0]
    assert "`sloppy.ui.gui_2`" in first_frame and "`imgui_bundle`" in first_frame
    assert "`numpy`" not in first_frame and "`openai`" not in first_frame
    gated = text.split("## Feature-gated")[1]
    for module in ("sloppy.ui.palette", "sloppy.ui.markdown_table", "numpy", "openai"):
        assert f"| `{module}` | warm lane" in gated


def test_checked_in_gui2_audit_is_current() -> None:
    """docs/startup_audit.md says it is generated: regenerate it and compare."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_gui2_imports.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_keyring_and_its_backends_stay_off_the_path(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "src/sloppy/feature.py": "import keyring\n",
            "src/sloppy/other.py": (
                "def f():\n    import secretstorage\n    from keyring.backends import fail\n"
            ),
        },
    )
    code, out = audit(root)
    assert code == 1
    assert "src/sloppy/feature.py:1: keyring" in out
    assert "src/sloppy/other.py:2: secretstorage (imported inside a function" in out
    assert "src/sloppy/other.py:3: keyring.backends" in out
