"""Signing and notarisation: the commands run when credentials exist, a clear skip otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sloppy_build import archive, stage_sign


def recorder() -> tuple[list[list[str]], stage_sign.Runner]:
    calls: list[list[str]] = []
    return calls, lambda cmd: calls.append(list(cmd))


def test_without_credentials_nothing_runs_and_the_build_says_why(tmp_path: Path) -> None:
    calls, run = recorder()
    mac = stage_sign.sign(tmp_path / "sloppy", platform="darwin", env={}, run=run)
    win = stage_sign.sign(tmp_path / "sloppy", platform="win32", env={}, run=run)
    assert mac.startswith("skipped: no SLOPPY_CODESIGN_IDENTITY")
    assert win.startswith("skipped: no SLOPPY_AUTHENTICODE_PFX")
    assert (
        stage_sign.sign(tmp_path, platform="linux", env={}, run=run)
        == "not needed on this platform"
    )
    assert calls == []


def test_macos_signs_notarises_then_staples_the_app(tmp_path: Path) -> None:
    calls, run = recorder()
    env = {
        "SLOPPY_CODESIGN_IDENTITY": "Developer ID Application: X (TEAM)",
        "SLOPPY_NOTARY_APPLE_ID": "a@example.invalid",
        "SLOPPY_NOTARY_TEAM_ID": "TEAM",
        "SLOPPY_NOTARY_PASSWORD": "pw",
    }
    result = stage_sign.sign(tmp_path / "sloppy", platform="darwin", env=env, run=run)
    assert result.endswith("notarised and stapled")
    tools = [c[0] if c[0] != "xcrun" else c[1] for c in calls]
    assert tools == ["codesign", "codesign", "ditto", "notarytool", "stapler"]
    assert calls[0][-1] == str(tmp_path / "sloppy.app") and "runtime" in calls[0]
    assert "--wait" in calls[3]


def test_macos_signs_without_notarising_when_only_the_identity_exists(tmp_path: Path) -> None:
    calls, run = recorder()
    env = {"SLOPPY_CODESIGN_IDENTITY": "X"}
    result = stage_sign.sign(tmp_path / "sloppy", platform="darwin", env=env, run=run)
    assert "notarisation skipped" in result and [c[0] for c in calls] == ["codesign"] * 2


def test_windows_signs_the_executable_with_a_timestamp(tmp_path: Path) -> None:
    calls, run = recorder()
    env = {"SLOPPY_AUTHENTICODE_PFX": "c.pfx", "SLOPPY_AUTHENTICODE_PASSWORD": "pw"}
    assert stage_sign.sign(tmp_path / "sloppy", platform="win32", env=env, run=run).startswith(
        "signed"
    )
    sign: Sequence[str] = calls[0]
    assert sign[:2] == ["signtool", "sign"] and sign[-1] == str(tmp_path / "sloppy" / "sloppy.exe")
    assert "/tr" in sign and "/fd" in sign


def test_files_written_after_pyinstaller_reach_the_macos_app(tmp_path: Path) -> None:
    """Notices, build id and release identity: the .app was made before they existed."""
    bundle = tmp_path / "sloppy"
    (bundle / "_internal" / "sloppy").mkdir(parents=True)
    (bundle / "THIRD_PARTY_LICENSES").write_text("notices")
    (bundle / "_internal" / "sloppy" / "release.json").write_text("{}")
    app = tmp_path / "sloppy.app" / "Contents"
    (app / "Resources" / "sloppy").mkdir(parents=True)
    (app / "Frameworks").mkdir()
    (app / "Frameworks" / "sloppy").symlink_to("../Resources/sloppy")
    archive.mirror_into_app(bundle, ["THIRD_PARTY_LICENSES", "sloppy/release.json"])
    assert (app / "Resources" / "THIRD_PARTY_LICENSES").read_text() == "notices"
    assert (app / "Frameworks" / "sloppy" / "release.json").read_text() == "{}"
    assert (app / "Frameworks" / "sloppy").is_symlink()  # not replaced by a copy
    packed = archive.write_release(
        bundle, tmp_path, "1.0.0", 1767225600, suffix=".zip", app=tmp_path / "sloppy.app"
    )
    import zipfile

    with zipfile.ZipFile(packed.archive) as zf:
        names = zf.namelist()
    assert "sloppy.app/Contents/Resources/THIRD_PARTY_LICENSES" in names
