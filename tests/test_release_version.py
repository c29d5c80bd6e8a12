"""The release identity: a version from the release tags, in git, an sdist and a bare tree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sloppy import vcs_version

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, epoch: int = 1_700_000_000) -> str:
    env = dict(os.environ) | GIT_ENV | {"GIT_COMMITTER_DATE": f"{epoch} +0000"}
    env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"]
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def described(repo: Path, rev: str = "HEAD") -> str:
    found = vcs_version.from_git(repo, rev)
    assert found is not None
    return found.version


def commit(repo: Path, name: str, epoch: int = 1_700_000_000) -> str:
    (repo / name).write_text(name)
    git(repo, "add", name)
    git(repo, "commit", "-qm", name, epoch=epoch)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    return tmp_path


def test_before_the_first_tag_a_dev_version_counts_commits(repo: Path) -> None:
    commit(repo, "a")
    sha = commit(repo, "b", epoch=1_700_000_123)
    found = vcs_version.from_git(repo)
    assert found == vcs_version.VersionInfo(f"0.1.0.dev2+g{sha[:12]}", sha, 1_700_000_123)


def test_on_a_tag_the_version_is_the_tag_and_after_it_a_dev_of_the_next(repo: Path) -> None:
    sha = commit(repo, "a")
    git(repo, "tag", "v1.4.2")
    git(repo, "tag", "round3-start")  # a tag that is not a release does not count
    assert vcs_version.from_git(repo) == vcs_version.VersionInfo("1.4.2", sha, 1_700_000_000)
    commit(repo, "b")
    later = commit(repo, "c")
    assert described(repo) == f"1.4.3.dev2+g{later[:12]}"
    # An earlier revision is described as it was, work tree or not.
    assert described(repo, sha) == "1.4.2"


def test_uncommitted_changes_mark_the_version_dirty(repo: Path) -> None:
    sha = commit(repo, "a")
    git(repo, "tag", "v2.0.0")
    (repo / "a").write_text("changed")
    assert described(repo) == f"2.0.0+g{sha[:12]}.dirty"
    (repo / "untracked").write_text("x")  # untracked files do not make it dirty
    (repo / "a").write_text("a")
    assert described(repo) == "2.0.0"


def test_an_sdist_without_git_reads_pkg_info(tmp_path: Path) -> None:
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.4\nName: sloppy\nVersion: 1.4.3.dev2\n")
    assert vcs_version.current(tmp_path) == vcs_version.VersionInfo("1.4.3.dev2", "", None)


def test_a_bare_tree_still_reports_a_version(tmp_path: Path) -> None:
    found = vcs_version.current(tmp_path)
    assert found.version  # the build's _version.py, or 0+unknown: never an exception


def test_the_wheel_metadata_and_version_file_come_from_the_same_source() -> None:
    """hatchling's code source calls ``version()``; the checkout's tag describes it."""
    assert vcs_version.version() == vcs_version.current().version
    pyproject = (vcs_version.CHECKOUT / "pyproject.toml").read_text()
    assert 'path = "src/sloppy/vcs_version.py"' in pyproject
    assert "/src/sloppy/_version.py" in (vcs_version.CHECKOUT / ".gitignore").read_text()


def test_source_date_epoch_defaults_to_the_commit_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sloppy_build import stage1_pyinstaller

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    found = vcs_version.from_git(vcs_version.CHECKOUT)
    assert found is not None
    assert stage1_pyinstaller.source_date_epoch() == found.commit_epoch
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234")
    assert stage1_pyinstaller.source_date_epoch() == 1234
