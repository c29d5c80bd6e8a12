"""What BASE and HEAD name: a source tree, a git revision, or a frozen bundle.

A revision is materialised with ``git archive`` into a temp folder (no worktree registered,
nothing left in the repository); source trees and revisions run on the current
environment's Python and dependencies.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sloppy.store.paths import BUNDLE

Kind = Literal["source", "revision", "bundle"]
SHIM_DIR = Path(__file__).resolve().parent / "shim"


class BenchError(RuntimeError):
    """Usage or run error: ``sloppy bench compare`` exits 2 with this message."""


@dataclass
class Target:
    spec: str
    kind: Kind
    root: Path  # the tree (source, revision) or the bundle folder holding the executable
    label: str
    commit: str = ""  # a revision's full hash
    repo: Path | None = None

    @property
    def frozen(self) -> bool:
        return self.kind == "bundle"

    def command(self) -> list[str]:
        if self.frozen:
            return [str(BUNDLE.exe(self.root))]
        return [sys.executable, "-m", self.entry_module]

    @property
    def entry_module(self) -> str:
        """The launcher's entry: ``sloppy_launcher.sloppy_main`` in ``launcher/`` (older trees:
        the ``launcher`` package itself)."""
        if (self.root / "launcher" / "sloppy_launcher").is_dir():
            return "sloppy_launcher.sloppy_main"
        return "launcher.sloppy_main"

    def first_existing(self, modules: tuple[str, ...]) -> str:
        """The first of ``modules`` this tree has (a module can move between trees)."""
        for name in modules:
            rel = Path(*name.split("."))
            if (self.root / "src" / rel).with_suffix(".py").is_file():
                return name
            if (self.root / "src" / rel / "__init__.py").is_file():
                return name
        return modules[-1]

    def env(self, base: dict[str, str], *, import_log: Path | None) -> dict[str, str]:
        """The child's environment: this tree first on the path, .pyc read and written."""
        env = dict(base)
        if self.frozen:
            return env
        paths = [str(self.root / "src"), str(self.root / "launcher"), str(self.root)]
        if import_log is not None:
            paths.insert(0, str(SHIM_DIR))
            env["SLOPPY_BENCH_IMPORT_LOG"] = str(import_log)
        env["PYTHONPATH"] = os.pathsep.join(paths)
        # .pyc present, as in an installed app: site-packages' from pip, the tree's written
        # beside its sources by the priming run.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("PYTHONPYCACHEPREFIX", None)
        return env

    def describe(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "kind": self.kind,
            "label": self.label,
            "path": str(self.root),
            **self.identity(),
        }

    def identity(self) -> dict[str, Any]:
        """Version, commit and build id; a bundle's size and its archive's (the report's
        header names both sides by these)."""
        from sloppy import vcs_version

        if self.frozen:
            from sloppy_build import archive, sizes

            info = archive.read_release_info(self.root)
            archives = sorted(self.root.parent.glob("sloppy-*.tar.gz")) + sorted(
                self.root.parent.glob("sloppy-*.zip")
            )
            return {
                "version": info.get("version", "unknown (not a release build)"),
                "commit": info.get("commit", ""),
                "build": info.get("build", ""),
                "bundle_bytes": sizes.total_bytes(self.root),
                "archive_bytes": archives[0].stat().st_size if archives else None,
            }
        found = None
        if self.commit and self.repo is not None:
            found = vcs_version.from_git(self.repo, self.commit)
        elif self.kind == "source":
            found = vcs_version.from_git(self.root)
        if found is None:
            return {"version": "unknown", "commit": self.commit}
        return {"version": found.version, "commit": found.commit}


def is_source_tree(path: Path) -> bool:
    return (path / "launcher").is_dir() and (path / "src" / "sloppy").is_dir()


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=False, capture_output=True, timeout=120
    )


def repository(start: Path) -> Path | None:
    out = _git(start, "rev-parse", "--show-toplevel")
    return Path(out.stdout.decode().strip()) if out.returncode == 0 else None


def resolve(spec: str, work: Path, repo: Path | None) -> Target:
    """Turn a BASE/HEAD argument into a runnable target (revisions are extracted into ``work``)."""
    path = Path(spec)
    if path.is_dir():
        if is_source_tree(path):
            return Target(spec, "source", path.resolve(), f"source tree {path}")
        for bundle in (path, BUNDLE.root(path)):
            exe = BUNDLE.exe(bundle)
            if exe.is_file() and os.access(exe, os.X_OK):
                return Target(spec, "bundle", bundle.resolve(), f"bundle {bundle}")
        raise BenchError(
            f"{spec}: neither a source tree (launcher/ and src/sloppy) "
            "nor a bundle (a sloppy executable)"
        )
    if repo is None:
        raise BenchError(f"{spec}: not a directory, and there is no git checkout to find it in")
    rev = _git(repo, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if rev.returncode != 0:
        raise BenchError(f"{spec}: not a directory nor a revision of {repo}")
    sha = rev.stdout.decode().strip()
    dest = work / f"rev-{sha[:12]}"
    if not dest.is_dir():
        archive = _git(repo, "archive", "--format=tar", sha)
        if archive.returncode != 0:
            raise BenchError(f"git archive {sha}: {archive.stderr.decode(errors='replace')}")
        dest.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(dest, filter="data")
    if not is_source_tree(dest):
        raise BenchError(f"{spec} ({sha[:12]}) has no launcher/ and src/sloppy: too old to compare")
    subject = _git(repo, "log", "-1", "--format=%s", sha).stdout.decode().strip()
    return Target(spec, "revision", dest, f"{spec} = {sha[:12]} {subject[:60]}", sha, repo)
