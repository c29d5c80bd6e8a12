"""Signing and notarisation (macOS, Windows): run when the credentials exist, else say why not.

Instead of signing in the CI workflow after the release files exist (their checksums and SBOM
hashes would then describe unsigned binaries), ``sloppy build`` signs between freezing and
packaging. The credentials come from the environment (CI secrets):

- macOS: ``SLOPPY_CODESIGN_IDENTITY`` (a "Developer ID Application" identity in the keychain)
  signs ``sloppy.app`` with the hardened runtime; with ``SLOPPY_NOTARY_APPLE_ID``,
  ``SLOPPY_NOTARY_TEAM_ID`` and ``SLOPPY_NOTARY_PASSWORD`` (an app-specific password) it is
  then notarised (``notarytool --wait``) and the ticket stapled.
- Windows: ``SLOPPY_AUTHENTICODE_PFX`` (a .pfx file) and ``SLOPPY_AUTHENTICODE_PASSWORD`` sign
  the executable with ``signtool`` (SHA-256, RFC 3161 time stamp).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

TIMESTAMP_URL = "http://timestamp.digicert.com"
Runner = Callable[[Sequence[str]], None]


def _run(cmd: Sequence[str]) -> None:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-1500:]}")


def sign(
    bundle: Path,
    *,
    platform: str = sys.platform,
    env: Mapping[str, str] | None = None,
    run: Runner = _run,
) -> str:
    """Sign (and notarise) what this platform ships; returns a one-line result."""
    env = os.environ if env is None else env
    if platform == "darwin":
        return _macos(bundle.parent / "sloppy.app", env, run)
    if platform == "win32":
        return _windows(bundle / "sloppy.exe", env, run)
    return "not needed on this platform"


def _macos(app: Path, env: Mapping[str, str], run: Runner) -> str:
    identity = env.get("SLOPPY_CODESIGN_IDENTITY")
    if not identity:
        return "skipped: no SLOPPY_CODESIGN_IDENTITY (an unsigned app: Open from the context menu)"
    run(
        [
            "codesign",
            "--force",
            "--deep",
            "--options",
            "runtime",
            "--timestamp",
            "--sign",
            identity,
            str(app),
        ]
    )
    run(["codesign", "--verify", "--strict", "--verbose=2", str(app)])
    notary = [env.get(k) for k in ("SLOPPY_NOTARY_APPLE_ID", "SLOPPY_NOTARY_TEAM_ID")]
    password = env.get("SLOPPY_NOTARY_PASSWORD")
    if not all(notary) or not password:
        return f"signed as {identity}; notarisation skipped: no SLOPPY_NOTARY_* credentials"
    with tempfile.TemporaryDirectory(prefix="sloppy-notary-") as tmp:
        upload = Path(tmp) / "sloppy.zip"
        run(["ditto", "-c", "-k", "--keepParent", str(app), str(upload)])
        run(
            [
                "xcrun",
                "notarytool",
                "submit",
                str(upload),
                "--apple-id",
                str(notary[0]),
                "--team-id",
                str(notary[1]),
                "--password",
                password,
                "--wait",
            ]
        )
    run(["xcrun", "stapler", "staple", str(app)])
    return f"signed as {identity}, notarised and stapled"


def _windows(exe: Path, env: Mapping[str, str], run: Runner) -> str:
    pfx, password = env.get("SLOPPY_AUTHENTICODE_PFX"), env.get("SLOPPY_AUTHENTICODE_PASSWORD")
    if not pfx or password is None:
        return "skipped: no SLOPPY_AUTHENTICODE_PFX (an unsigned executable: SmartScreen warns)"
    run(
        [
            "signtool",
            "sign",
            "/fd",
            "SHA256",
            "/tr",
            TIMESTAMP_URL,
            "/td",
            "SHA256",
            "/f",
            pfx,
            "/p",
            password,
            str(exe),
        ]
    )
    run(["signtool", "verify", "/pa", str(exe)])
    return "signed (Authenticode, time-stamped)"
