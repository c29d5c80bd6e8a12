"""Fresh interpreters: run code or a script in a new process of the project venv's Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import ROOT


def run_script(*args: str, timeout: float) -> str:
    """Run ``args`` (a script under the checkout and its options); assert exit 0; its stdout."""
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def run_code(
    code: str, *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (the project venv's), ``env`` added to ours."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    """Run ``code`` in a fresh interpreter; assert exit 0; its stdout."""
    proc = run_code(code, env=env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def loaded_after(statement: str) -> set[str]:
    """Modules loaded in a fresh interpreter after running the import ``statement``."""
    out = run_python(f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))")
    return set(json.loads(out.strip().splitlines()[-1]))
