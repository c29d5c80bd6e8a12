"""What the bundle contains, for the law and for scanners: THIRD_PARTY_LICENSES and the SBOM.

A distribution counts as bundled when any file it installed is in the bundle: one of its
modules in the pure-Python archive, or one of its binaries or data files under
``_internal``. Its licence text comes from its own dist-info (``License-File`` entries,
``LICENSE*``, ``COPYING*``, ``NOTICE*``). The interpreter (CPython's LICENSE.txt) and, on
Debian-like hosts, the system libraries PyInstaller copied in (their ``copyright`` files)
are listed too. The SBOM is CycloneDX 1.6 JSON; its file hashes are uv.lock's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sloppy.store.paths import BUNDLE

LICENSES_FILE = "THIRD_PARTY_LICENSES"
_LICENCE_NAME = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)
_SHARED_LIB = re.compile(r"\.so(\.\d+)*$|\.dylib$|\.dll$")


@dataclass
class Component:
    name: str
    version: str
    purl: str
    licence: str  # an SPDX expression (``spdx``) or the distribution's own words
    texts: list[tuple[str, str]] = field(default_factory=list)  # (file name, text)
    home: str = ""
    hashes: list[str] = field(default_factory=list)  # sha256 hex of the installed artifact
    kind: str = "library"
    spdx: bool = False


def _module_of(posix: str) -> str | None:
    if not posix.endswith(".py"):
        return None
    return posix[:-3].replace("/", ".").removesuffix(".__init__")


def bundled_distributions(
    site_packages: Path, pyz_modules: set[str], internal_files: set[str]
) -> list[metadata.Distribution]:
    """Distributions installed in ``site_packages`` with at least one file in the bundle."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions(path=[str(site_packages)]):
        name = dist.metadata["Name"]
        if not name or name.lower() == "sloppy":
            continue
        for f in dist.files or []:
            posix = f.as_posix()
            if ".dist-info/" in posix:
                continue
            if _module_of(posix) in pyz_modules or posix in internal_files:
                found[name.lower()] = dist
                break
    return [found[k] for k in sorted(found)]


def _field(meta: metadata.PackageMetadata, name: str) -> str:
    values = meta.get_all(name) or []
    return str(values[0]) if values else ""


def licence_of(meta: metadata.PackageMetadata) -> tuple[str, bool]:
    """The licence and whether it is an SPDX expression (PEP 639 ``License-Expression``)."""
    expression = _field(meta, "License-Expression")
    if expression:
        return expression, True
    return _legacy_licence(meta), False


def _legacy_licence(meta: metadata.PackageMetadata) -> str:
    short = _field(meta, "License").strip()
    if short and "\n" not in short and len(short) < 80:
        return short
    classifiers = [
        c.rsplit(" :: ", 1)[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License")
    ]
    return " AND ".join(classifiers) or "see licence text"


def licence_texts(dist: metadata.Distribution) -> list[tuple[str, str]]:
    texts = []
    for f in dist.files or []:
        posix = f.as_posix()
        if ".dist-info/" not in posix:
            continue
        inside = posix.split(".dist-info/", 1)[1]
        if inside.startswith("licenses/") or _LICENCE_NAME.match(inside):
            path = Path(str(f.locate()))
            if path.is_file():
                texts.append((inside.removeprefix("licenses/"), path.read_text(errors="replace")))
    if not texts:
        long = _field(dist.metadata, "License")
        if "\n" in long:
            texts.append(("License (metadata)", long))
    return sorted(texts)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_hashes(lock: Path | None) -> dict[tuple[str, str], list[tuple[set[str], str]]]:
    """``(name, version) -> [(wheel tags, sha256)]`` from uv.lock."""
    if lock is None or not lock.is_file():
        return {}
    from packaging.utils import parse_wheel_filename

    out: dict[tuple[str, str], list[tuple[set[str], str]]] = {}
    for package in tomllib.loads(lock.read_text())["package"]:
        rows = []
        for wheel in package.get("wheels", []):
            filename = wheel["url"].rsplit("/", 1)[-1]
            tags = {str(t) for t in parse_wheel_filename(filename)[3]}
            rows.append((tags, wheel["hash"].removeprefix("sha256:")))
        out[(_canonical(package["name"]), str(package.get("version")))] = rows
    return out


def _installed_tags(dist: metadata.Distribution) -> set[str]:
    wheel = dist.read_text("WHEEL") or ""
    tags = set()
    for line in wheel.splitlines():
        if line.startswith("Tag:"):
            tags.add(line.split(":", 1)[1].strip())
    return tags


def python_components(dists: list[metadata.Distribution], lock: Path | None) -> list[Component]:
    hashes = locked_hashes(lock)
    out = []
    for dist in dists:
        meta = dist.metadata
        name, version = str(meta["Name"]), str(meta["Version"])
        tags = _installed_tags(dist)
        digests = [h for t, h in hashes.get((_canonical(name), version), []) if t & tags]
        home = _field(meta, "Home-page")
        if not home:
            urls = [u.split(",", 1)[-1].strip() for u in meta.get_all("Project-URL") or []]
            home = urls[0] if urls else ""
        licence, spdx = licence_of(meta)
        out.append(
            Component(
                name,
                version,
                f"pkg:pypi/{_canonical(name)}@{version}",
                licence,
                licence_texts(dist),
                home,
                digests[:1],
                spdx=spdx,
            )
        )
    return out


def interpreter_component() -> Component:
    version = ".".join(map(str, sys.version_info[:3]))
    licence = Path(sysconfig.get_path("stdlib")) / "LICENSE.txt"
    texts = [("LICENSE.txt", licence.read_text(errors="replace"))] if licence.is_file() else []
    return Component(
        "CPython",
        version,
        f"pkg:generic/cpython@{version}",
        "PSF-2.0",
        texts,
        "https://www.python.org/",
        kind="framework",
        spdx=True,
    )


def _dpkg(*args: str) -> str | None:
    if shutil.which("dpkg-query") is None:
        return None
    proc = subprocess.run(
        ["dpkg-query", *args], capture_output=True, text=True, timeout=30, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def system_components(bundle: Path) -> list[Component]:
    """The host's shared libraries at the top of ``_internal`` (Debian packages, when known)."""
    internal = bundle / BUNDLE.contents
    libs = sorted(
        p.name
        for p in internal.iterdir()
        if _SHARED_LIB.search(p.name) and not p.is_symlink() and not p.name.startswith("libpython")
    )
    by_package: dict[str, list[str]] = {}
    for lib in libs:
        owner = _dpkg("-S", f"*/{lib}")
        package = owner.split(":", 1)[0].strip() if owner else ""
        by_package.setdefault(package, []).append(lib)
    out = []
    for package, files in sorted(by_package.items()):
        if not package:
            out.append(Component(", ".join(files), "unknown", "", "unknown (from the build host)"))
            continue
        version = _dpkg("-W", "-f", "${Version}", package) or "unknown"
        copyright_file = Path("/usr/share/doc") / package / "copyright"
        texts = []
        if copyright_file.is_file():
            texts = [("copyright", copyright_file.read_text(errors="replace"))]
        arch = _dpkg("-W", "-f", "${Architecture}", package) or ""
        out.append(
            Component(
                package,
                version,
                f"pkg:deb/debian/{package}@{version}" + (f"?arch={arch}" if arch else ""),
                "see copyright",
                texts,
                home=f"files: {', '.join(files)}",
            )
        )
    return out


def licenses_text(components: list[Component]) -> str:
    rule = "=" * 78
    head = [
        "sloppy bundles the third-party software listed below. Each entry gives its name,",
        "version and licence, then the licence text as its distribution ships it.",
        "",
    ]
    body = []
    for c in components:
        body += [rule, f"{c.name} {c.version}", f"Licence: {c.licence}"]
        if c.home:
            body.append(f"Home: {c.home}")
        for filename, text in c.texts or [("", "(no licence text shipped; see the home page)")]:
            body += ["-" * 78, filename, "", text.rstrip(), ""]
    return "\n".join([*head, *body, rule, ""])


def write_licenses(bundle: Path, components: list[Component]) -> Path:
    target = bundle / LICENSES_FILE
    target.write_text(licenses_text(components), encoding="utf-8")
    return target


def _licence_json(c: Component) -> list[dict[str, object]]:
    if c.spdx:
        return [{"expression": c.licence}]
    return [{"license": {"name": c.licence}}]


def sbom(
    components: list[Component], *, app_version: str, epoch: int, content_hash: str
) -> dict[str, object]:
    """A CycloneDX 1.6 document; the same inputs give the same bytes."""
    app_ref = f"pkg:generic/sloppy@{app_version}"
    entries = []
    for c in components:
        entry: dict[str, object] = {
            "type": c.kind,
            "bom-ref": c.purl or f"host:{c.name}",
            "name": c.name,
            "version": c.version,
        }
        if c.purl:
            entry["purl"] = c.purl
        if c.licence and not c.licence.startswith(("see ", "unknown")):
            entry["licenses"] = _licence_json(c)
        if c.hashes:
            entry["hashes"] = [{"alg": "SHA-256", "content": h} for h in c.hashes]
        if c.home.startswith("http"):
            entry["externalReferences"] = [{"type": "website", "url": c.home}]
        entries.append(entry)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'sloppy:' + content_hash)}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "sloppy_build"}]},
            "component": {
                "type": "application",
                "bom-ref": app_ref,
                "name": "sloppy",
                "version": app_version,
                "purl": app_ref,
                "licenses": [{"expression": "MIT"}],
            },
        },
        "components": entries,
        "dependencies": [
            {"ref": app_ref, "dependsOn": [str(e["bom-ref"]) for e in entries]},
            *({"ref": str(e["bom-ref"])} for e in entries),
        ],
    }


def write_sbom(path: Path, document: dict[str, object]) -> Path:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
