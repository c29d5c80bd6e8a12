"""What the bundle contains, for the law and for scanners: THIRD_PARTY_LICENSES and the SBOM.

Every regular file of the bundle is attributed to one component (``attribute``), or the build
fails naming it. In order: sloppy's own files; CPython (libpython, the standard library);
native code and data the wheels vendor (``native.TABLE``: OpenBLAS, GLFW, fonts, ...); the
Python distribution whose ``RECORD`` lists the file (or whose module is in the PYZ archive);
the host's shared libraries PyInstaller copied in, by the package that owns the file it
copied (dpkg), labelled with the build host's distribution. A wheel's own SBOM (PEP 770,
``.dist-info/sboms``: Rust crates, a static OpenSSL) is merged under its distribution.
Licence texts: each distribution's dist-info, ``packaging/licenses/<SPDX-ID>.txt`` for native
code, the Debian ``copyright`` files (with the ``common-licenses`` they point to). The SBOM is
CycloneDX 1.6 JSON (``sbom``); the manifest's fourth column names each file's component.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from sloppy.store.paths import BUNDLE
from sloppy_build import native
from sloppy_build.archive import sha256_file

LICENSES_FILE = "THIRD_PARTY_LICENSES"
LICENSE_DIR = Path(__file__).resolve().parents[2] / "packaging" / "licenses"
_LICENCE_NAME = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)
SHARED_LIB = re.compile(r"\.so(\.\d+)*$|\.dylib$|\.dll$|\.pyd$")
_SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")
_COMMON = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9.+-]+)")
#: The app's own component (its files: the executable, sloppy's data, this notice).
APP = "sloppy"
#: The file name given to a generic licence text from ``packaging/licenses``.
SPDX_TEXT = "SPDX licence text: "


def licence_dir() -> Path:
    """``packaging/licenses`` of the checkout, or the copy inside the wheel's sloppy_build."""
    inside = Path(__file__).resolve().parent / "packaging" / "licenses"
    return LICENSE_DIR if LICENSE_DIR.is_dir() else inside


@dataclass
class Component:
    name: str
    version: str
    purl: str
    licence: str  # an SPDX expression (``spdx``) or the distribution's own words
    texts: list[tuple[str, str]] = field(default_factory=list)  # (file name, text)
    home: str = ""
    hashes: list[str] = field(default_factory=list)  # sha256 hex (wheel, or shipped files)
    kind: str = "library"
    spdx: bool = False
    ref: str = ""
    cpe: str = ""
    notice: str = ""  # copyright lines printed before the licence texts
    files: list[str] = field(default_factory=list)  # bundle paths attributed to it
    children: list[Component] = field(default_factory=list)
    origin: str = ""  # "pep770:<file>" when it came from a wheel's own SBOM

    def __post_init__(self) -> None:
        self.ref = self.ref or self.purl or f"component:{self.name}@{self.version}"

    def walk(self) -> list[Component]:
        return [self, *(d for c in self.children for d in c.walk())]


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
                found[_canonical(name)] = dist
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
    return {line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")}


def pep770_components(dist: metadata.Distribution, parent: str) -> list[Component]:
    """The components a wheel's own SBOMs (``.dist-info/sboms/*.json``) list, but itself."""
    out: dict[str, Component] = {}
    for f in dist.files or []:
        posix = f.as_posix()
        if ".dist-info/sboms/" not in posix or not posix.endswith(".json"):
            continue
        try:
            doc = json.loads(Path(str(f.locate())).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for c in doc.get("components", []):
            name, version = str(c.get("name", "")), str(c.get("version", ""))
            purl = str(c.get("purl", ""))
            if not name or _canonical(name) == parent or purl.startswith("pkg:pypi/"):
                continue
            if purl.startswith("pkg:cargo/") and "download_url=file:" in purl:
                purl = purl.split("?", 1)[0]  # a crate of the wheel's own source tree
            expressions = [
                str(lic.get("expression") or lic.get("license", {}).get("id") or "")
                for lic in c.get("licenses", [])
            ]
            licence = " AND ".join(e for e in expressions if e)
            hashes = [h["content"] for h in c.get("hashes", []) if h.get("alg") == "SHA-256"]
            key = f"{name}@{version}"
            out.setdefault(
                key,
                Component(
                    name,
                    version,
                    purl,
                    licence or "unknown",
                    _spdx_texts(licence),
                    hashes=hashes,
                    spdx=bool(licence),
                    ref=f"{parent}/{purl or key}",
                    origin=f"pep770:{posix.rsplit('/', 1)[-1]}",
                ),
            )
    return [out[k] for k in sorted(out)]


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
        component = Component(
            name,
            version,
            f"pkg:pypi/{_canonical(name)}@{version}",
            licence,
            licence_texts(dist),
            home,
            digests[:1],
            spdx=spdx,
        )
        component.children = pep770_components(dist, _canonical(name))
        out.append(component)
    return out


def interpreter_component() -> Component:
    version = ".".join(map(str, sys.version_info[:3]))
    # LICENSE.txt: beside the stdlib on POSIX, at the installation's root on Windows.
    candidates = [
        Path(sysconfig.get_path("stdlib")) / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE.txt",
    ]
    licence = next((p for p in candidates if p.is_file()), None)
    texts = [("LICENSE.txt", licence.read_text(errors="replace"))] if licence else []
    return Component(
        "CPython",
        version,
        f"pkg:generic/cpython@{version}",
        "PSF-2.0",
        texts,
        "https://www.python.org/",
        kind="framework",
        spdx=True,
        cpe=f"cpe:2.3:a:python:python:{version}:*:*:*:*:*:*:*",
    )


def app_component(version: str) -> Component:
    return Component(APP, version, f"pkg:generic/sloppy@{version}", "MIT", kind="application")


# -- the host's libraries ----------------------------------------------------------------------


def host_distribution() -> tuple[str, str]:
    """``(ID, VERSION_ID)`` of /etc/os-release (``debian``, ``12``; ``ubuntu``, ``22.04``)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            key, _, value = line.partition("=")
            fields[key] = value.strip().strip('"')
    except OSError:
        pass
    return fields.get("ID", "unknown"), fields.get("VERSION_ID", "")


def _dpkg(*args: str) -> str | None:
    if shutil.which("dpkg-query") is None:
        return None
    proc = subprocess.run(
        ["dpkg-query", *args], capture_output=True, text=True, timeout=30, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def _owner(path: Path) -> str | None:
    """The Debian package that installed ``path`` (tried as given and resolved: usrmerge)."""
    for candidate in dict.fromkeys([str(path), str(path.resolve())]):
        found = _dpkg("-S", candidate)
        if found:
            return found.split(":", 1)[0].split(",", 1)[0].strip()
    return None


def _origin(name: str, origins: dict[str, str]) -> Path | None:
    """Where PyInstaller copied a library from (its build record), else the usual dirs."""
    if name in origins:
        return Path(origins[name])
    for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"):
        if (Path(d) / name).exists():
            return Path(d) / name
    return None


def system_components(libs: list[str], origins: dict[str, str]) -> list[Component]:
    """The host libraries ``libs`` (paths under _internal), grouped by owning OS package."""
    distro, distro_version = host_distribution()
    by_package: dict[str, list[str]] = {}
    for lib in libs:
        origin = _origin(Path(lib).name, origins)
        package = _owner(origin) if origin is not None else None
        by_package.setdefault(package or "", []).append(lib)
    out = []
    for package, files in sorted(by_package.items()):
        if not package:
            for lib in files:
                out.append(
                    Component(
                        Path(lib).name,
                        "unknown",
                        "",
                        "unknown (copied from the build host; no package owns it)",
                        files=[lib],
                    )
                )
            continue
        version = _dpkg("-W", "-f", "${Version}", package) or "unknown"
        arch = _dpkg("-W", "-f", "${Architecture}", package) or ""
        copyright_file = Path("/usr/share/doc") / package / "copyright"
        texts = []
        if copyright_file.is_file():
            texts = [("copyright", copyright_file.read_text(errors="replace"))]
        qualifiers = "&".join(
            q for q in (f"arch={arch}" if arch else "", f"distro={distro}-{distro_version}") if q
        )
        out.append(
            Component(
                package,
                version,
                f"pkg:deb/{distro}/{package}@{version}?{qualifiers}",
                "see copyright",
                texts,
                home=f"{distro} {distro_version} package",
                files=list(files),
            )
        )
    return out


# -- attribution -------------------------------------------------------------------------------


def _record_paths(dist: metadata.Distribution) -> set[str]:
    return {f.as_posix() for f in dist.files or []}


def _spdx_texts(expression: str) -> list[tuple[str, str]]:
    """The generic texts of every SPDX identifier in ``expression`` we keep in the repository."""
    out = []
    for ident in dict.fromkeys(_SPDX_ID.findall(expression)):
        if ident in ("AND", "OR", "WITH"):
            continue
        path = licence_dir() / f"{ident}.txt"
        if path.is_file():
            out.append((f"{SPDX_TEXT}{ident}", path.read_text(encoding="utf-8")))
    return out


@dataclass
class Inventory:
    """The bundle's components (a tree) and each regular file's component."""

    components: list[Component]
    owner: dict[str, str]  # bundle-relative path -> component ref
    missing_texts: list[str] = field(default_factory=list)  # components without a licence text

    def refs(self) -> dict[str, Component]:
        return {c.ref: c for top in self.components for c in top.walk()}


def inventory(
    bundle: Path,
    *,
    app_version: str,
    site_packages: Path,
    pyz_modules: set[str],
    lock: Path | None,
    origins: dict[str, str] | None = None,
) -> Inventory:
    """Attribute every regular file of ``bundle``; raises ``RuntimeError`` naming the rest."""
    internal = bundle / BUNDLE.contents
    rels = sorted(
        p.relative_to(bundle).as_posix()
        for p in bundle.rglob("*")
        if p.is_file() and not p.is_symlink()
    )
    inner = {r: r.removeprefix(f"{BUNDLE.contents}/") for r in rels}
    app, cpython = app_component(app_version), interpreter_component()
    dists = bundled_distributions(site_packages, pyz_modules, set(inner.values()))
    py = python_components(dists, lock)
    by_dist = {_canonical(c.name): c for c in py}
    owner: dict[str, str] = {LICENSES_FILE: app.ref}  # written after this inventory
    own_prefixes = ("sloppy/", f"{BUNDLE.share}/")
    stdlib = (f"python{sys.version_info[0]}.{sys.version_info[1]}/", "lib-dynload/", "DLLs/")
    for rel, sub in inner.items():
        top = rel == sub  # outside _internal: the executable, THIRD_PARTY_LICENSES
        if top or sub.startswith(own_prefixes):
            owner[rel] = app.ref
        elif sub.startswith(("libpython", "python3", *stdlib)) or sub == "base_library.zip":
            owner[rel] = cpython.ref
    # Vendored native code and data, nested under its distribution.
    found = native.discover(
        internal,
        [s for r, s in inner.items() if r not in owner],
        {k: c.version for k, c in by_dist.items()},
    )
    for item in found:
        e, parent = item.entry, by_dist[item.entry.parent]
        merged = next((c for c in parent.children if e.pep770 and c.name.lower() == e.pep770), None)
        version = item.version if item.version != "unknown" or merged is None else merged.version
        if version == "unknown":  # no version string in the binary: say where it came from
            version = f"as vendored in {parent.name} {parent.version}"
        comp = Component(
            e.name,
            version,
            e.purl.format(version=version) if e.purl and item.version != "unknown" else "",
            e.licence,
            _spdx_texts(e.licence)
            + [
                (t, (internal / t).read_text(errors="replace"))
                for t in e.texts
                if (internal / t).is_file()
            ],
            e.home,
            spdx=True,
            ref=f"{parent.ref}/{e.name}",
            cpe=e.cpe.format(version=version) if e.cpe and item.version != "unknown" else "",
            notice=e.notice.format(version=version),
            files=[f"{BUNDLE.contents}/{f}" for f in item.files],
        )
        comp.hashes = [sha256_file(internal / f) for f in item.files]
        if merged is not None:
            comp.purl = comp.purl or merged.purl
            parent.children.remove(merged)
        if item.inside:
            comp.notice += "\n(linked into " + ", ".join(item.inside) + ")"
        parent.children.append(comp)
        for f in comp.files:
            owner[f] = comp.ref
    # Python distributions: their RECORD (binaries, data) and dist-info folders.
    for dist, comp in zip(dists, py, strict=True):
        record = _record_paths(dist)  # dist-info files included
        for rel, sub in inner.items():
            if rel not in owner and sub in record:
                owner[rel] = comp.ref
                comp.files.append(rel)
    # What is left at the top of _internal: the host's libraries.
    libs = [r for r, s in inner.items() if r not in owner and "/" not in s and SHARED_LIB.search(s)]
    host = system_components(libs, origins or {})
    for comp in host:
        for f in comp.files:
            owner[f] = comp.ref
            comp.hashes.append(sha256_file(bundle / f))
    uncovered = [r for r in rels if r not in owner]
    if uncovered:
        raise RuntimeError(
            f"{len(uncovered)} shipped file(s) belong to no component (add them to "
            "build/sloppy_build/native.py or find their distribution): " + ", ".join(uncovered[:20])
        )
    for comp in (app, cpython):
        comp.files = [r for r, ref in owner.items() if ref == comp.ref]
    components = [app, cpython, *py, *host]
    missing = [
        f"{c.name} {c.version}"
        for top in components[1:]
        for c in top.walk()
        if not c.texts and not c.origin and not c.licence.startswith("LicenseRef-Dear-ImGui")
    ]
    for c in (cpython, *py, *host):
        c.files = sorted(set(c.files))
    return Inventory(components, owner, missing)


# -- THIRD_PARTY_LICENSES ----------------------------------------------------------------------


def licenses_text(components: list[Component]) -> str:
    rule = "=" * 78
    head = [
        "sloppy bundles the third-party software listed below. Each entry gives its name,",
        "version and licence, its copyright notice where the licence asks for one, then the",
        "licence text. Components vendored inside a distribution follow it, indented by name",
        "(distribution / component). Licence texts that several entries share are given once,",
        "at the end, under 'Shared licence texts'.",
        "",
    ]
    body: list[str] = []
    shared: dict[str, str] = {}
    common: set[str] = set()

    def entry(c: Component, prefix: str) -> None:
        body.extend([rule, f"{prefix}{c.name} {c.version}", f"Licence: {c.licence}"])
        if c.home:
            body.append(f"Home: {c.home}")
        if c.files and c.kind != "application":
            shown = ", ".join(c.files[:6]) + (
                f" (+{len(c.files) - 6} more)" if len(c.files) > 6 else ""
            )
            body.append(f"Files: {shown}")
        if c.notice:
            body.extend(["", c.notice])
        for filename, text in c.texts:
            if filename.startswith(SPDX_TEXT):
                ident = filename.removeprefix(SPDX_TEXT)
                shared[ident] = text
                body.append(f"({ident}: text under 'Shared licence texts')")
                continue
            common.update(_COMMON.findall(text))
            body.extend(["-" * 78, filename, "", text.rstrip(), ""])
        for child in c.children:
            entry(child, f"{prefix}{c.name} / ")

    for c in components:
        if c.kind != "application":
            entry(c, "")
    tail = [rule, "Shared licence texts", rule]
    for ident in sorted(shared):
        tail += ["-" * 78, ident, "", shared[ident].rstrip(), ""]
    for name in sorted(common):
        path = Path("/usr/share/common-licenses") / name
        if path.is_file():
            tail += [
                "-" * 78,
                f"/usr/share/common-licenses/{name}",
                "",
                path.read_text().rstrip(),
                "",
            ]
    return "\n".join([*head, *body, *tail, rule, ""])


def write_licenses(bundle: Path, components: list[Component]) -> Path:
    target = bundle / LICENSES_FILE
    target.write_text(licenses_text(components), encoding="utf-8")
    return target
