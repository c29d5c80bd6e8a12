"""Native code and data inside the Python distributions: what ``pip`` metadata does not say.

Wheels vendor shared libraries (auditwheel's ``*.libs``), link libraries statically into
their extension modules, and ship fonts. Each entry below names one such component, the
distribution that carries it, how to recognise it in the bundle (files that *are* it, or a
marker string inside the binary it is linked into), how to read its version from those bytes,
and its licence with the copyright lines the licence asks to reproduce. The generic licence
texts live in ``packaging/licenses/<SPDX-ID>.txt``; texts the bundle ships itself are read
from the bundle. A component whose files are absent (another platform) is left out.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Native:
    name: str
    parent: str  # canonical distribution name that vendors it
    licence: str  # SPDX expression
    notice: str  # the copyright lines the licence asks to reproduce
    files: tuple[str, ...] = ()  # patterns (under _internal) of files that are this component
    inside: tuple[str, ...] = ()  # patterns of binaries it is linked into
    marker: str = ""  # regex (bytes) that shows it is linked into ``inside``
    version: str = ""  # regex (bytes) with one group, searched in ``version_in`` (or its files)
    version_in: tuple[str, ...] = ()
    fixed_version: str = ""
    purl: str = ""  # with {version}
    cpe: str = ""  # with {version}
    home: str = ""
    texts: tuple[str, ...] = ()  # extra texts shipped in the bundle (paths under _internal)
    pep770: str = ""  # the name a wheel's own SBOM gives it (merged into this entry)


_CPE = "cpe:2.3:a:{}:{}:{{version}}:*:*:*:*:*:*:*"
_GCC = r"GCC: \(GNU\) (\d+\.\d+\.\d+)"
_OPENBLAS = (
    "numpy.libs/libscipy_openblas*",
    "numpy.libs/*openblas*.dll",
    "numpy/.dylibs/*openblas*",
)
_IMGUI_SO = ("imgui_bundle/_imgui_bundle*.so", "imgui_bundle/_imgui_bundle*.pyd")
_FONTS = "imgui_bundle/assets/fonts"
_LGPL_OFFER = (
    "libquadmath is under the LGPL: it ships as its own shared library, so it can be replaced "
    "by a modified build of the same version (relink by replacing the file). Its source: GCC "
    "{version}, https://gcc.gnu.org/git/?p=gcc.git;a=tree;f=libquadmath (or write to the "
    "sloppy maintainers for a copy, valid for three years from this release)."
)

TABLE: tuple[Native, ...] = (
    # numpy: OpenBLAS and the GCC runtime it needs (auditwheel, numpy.libs)
    Native(
        "OpenBLAS",
        "numpy",
        "BSD-3-Clause",
        "Copyright (c) 2011-2014, The OpenBLAS Project",
        files=_OPENBLAS,
        version=r"OpenBLAS (\d+\.\d+\.\d+)",
        purl="pkg:github/OpenMathLib/OpenBLAS@v{version}",
        cpe=_CPE.format("openblas_project", "openblas"),
        home="https://www.openblas.net/",
    ),
    Native(
        "libgfortran",
        "numpy",
        "GPL-3.0-or-later WITH GCC-exception-3.1",
        "Copyright (C) Free Software Foundation, Inc. (GCC runtime library)",
        files=("numpy.libs/libgfortran*",),
        version=_GCC,
        version_in=_OPENBLAS,  # vendored from the toolchain that built OpenBLAS
        purl="pkg:generic/gcc-libgfortran@{version}",
        cpe=_CPE.format("gnu", "gcc"),
        home="https://gcc.gnu.org/",
    ),
    Native(
        "libquadmath",
        "numpy",
        "LGPL-2.1-or-later",
        "Copyright (C) Free Software Foundation, Inc. (GCC quad-precision math library)\n\n"
        + _LGPL_OFFER,
        files=("numpy.libs/libquadmath*",),
        version=_GCC,
        version_in=_OPENBLAS,
        purl="pkg:generic/gcc-libquadmath@{version}",
        cpe=_CPE.format("gnu", "gcc"),
        home="https://gcc.gnu.org/onlinedocs/libquadmath/",
    ),
    # cryptography: OpenSSL linked statically into the Rust extension
    Native(
        "OpenSSL",
        "cryptography",
        "Apache-2.0",
        "Copyright (c) 1998-2025 The OpenSSL Project Authors\n"
        "Copyright (c) 1995-1998 Eric A. Young, Tim J. Hudson",
        inside=("cryptography/hazmat/bindings/_rust*",),
        marker=r"OpenSSL \d+\.\d+\.\d+",
        version=r"OpenSSL (\d+\.\d+\.\d+)",
        purl="pkg:generic/openssl@{version}",
        cpe=_CPE.format("openssl", "openssl"),
        home="https://www.openssl.org/",
        pep770="openssl",
    ),
    # imgui-bundle: GLFW (own library), libglvnd (auditwheel), and what _imgui_bundle links in
    Native(
        "GLFW",
        "imgui-bundle",
        "Zlib",
        "Copyright (c) 2002-2006 Marcus Geelnard\nCopyright (c) 2006-2019 Camilla Löwy",
        files=("imgui_bundle/libglfw*", "imgui_bundle/glfw3.dll"),
        version=r"(\d+\.\d+\.\d+) (?:X11|Wayland|Win32|Cocoa|Null)",
        purl="pkg:github/glfw/glfw@{version}",
        cpe=_CPE.format("glfw", "glfw"),
        home="https://www.glfw.org/",
    ),
    *(
        Native(
            f"libglvnd ({lib})",
            "imgui-bundle",
            "MIT",
            "Copyright (c) 2013, NVIDIA CORPORATION.",
            files=(f"imgui_bundle.libs/{lib}-*",),
            home="https://gitlab.freedesktop.org/glvnd/libglvnd",
            pep770=pep770,
        )
        for lib, pep770 in (
            ("libGLX", "libglvnd-glx"),
            ("libOpenGL", "libglvnd-opengl"),
            ("libGLdispatch", "libglvnd"),
        )
    ),
    Native(
        "Dear ImGui",
        "imgui-bundle",
        "MIT",
        "Copyright (c) 2014-2025 Omar Cornut",
        inside=_IMGUI_SO,
        marker=r"ImGui",
        version=r"\x00(1\.\d\d\.\d+)(?: WIP)?\x00",
        purl="pkg:github/ocornut/imgui@v{version}",
        cpe=_CPE.format("ocornut", "imgui"),
        home="https://github.com/ocornut/imgui",
    ),
    *(
        Native(name, "imgui-bundle", licence, notice, inside=_IMGUI_SO, marker=marker, home=home)
        for name, licence, notice, marker, home in (
            (
                "Hello ImGui",
                "MIT",
                "Copyright (c) 2021-2025 Pascal Thomet",
                r"hello_imgui",
                "https://github.com/pthom/hello_imgui",
            ),
            (
                "ImPlot",
                "MIT",
                "Copyright (c) 2020 Evan Pezent",
                r"ImPlot",
                "https://github.com/epezent/implot",
            ),
            (
                "ImPlot3D",
                "MIT",
                "Copyright (c) 2024-2025 Breno Cunha Queiroz",
                r"ImPlot3D",
                "https://github.com/brenocq/implot3d",
            ),
            (
                "ImGuizmo",
                "MIT",
                "Copyright (c) 2016 Cedric Guillemet",
                r"ImGuizmo",
                "https://github.com/CedricGuillemet/ImGuizmo",
            ),
            (
                "imgui_md and MD4C",
                "MIT",
                "Copyright (c) 2021 Dmitry Mekhontsev (imgui_md)\n"
                "Copyright (c) 2016-2024 Martin Mitáš (MD4C)",
                r"imgui_md",
                "https://github.com/mekhontsev/imgui_md",
            ),
            (
                "FreeType",
                "FTL",
                "Portions of this software are copyright (c) The FreeType Project "
                "(www.freetype.org). All rights reserved.",
                r"FreeType",
                "https://freetype.org/",
            ),
            (
                "NanoVG",
                "Zlib",
                "Copyright (c) 2013 Mikko Mononen",
                r"NanoVG|nanovg",
                "https://github.com/memononen/nanovg",
            ),
            (
                "stb",
                "MIT OR Unlicense",
                "Copyright (c) 2017 Sean Barrett",
                r"stb_image",
                "https://github.com/nothings/stb",
            ),
            (
                "glad (OpenGL loader, generated)",
                "CC0-1.0 AND Apache-2.0",
                "Copyright (c) 2013-2022 David Herberth (generator); "
                "Copyright (c) 2013-2020 The Khronos Group Inc. (the API registry it is made from)",
                r"glad|GLAD",
                "https://github.com/Dav1dde/glad",
            ),
            (
                "Dear ImGui Test Engine",
                "LicenseRef-Dear-ImGui-Test-Engine",
                "Copyright (c) 2022-2023 Omar Cornut. Under the Dear ImGui Test Engine License "
                "(free for open-source software such as sloppy; "
                "https://github.com/ocornut/imgui_test_engine/blob/main/imgui_test_engine/"
                "LICENSE.txt).",
                r"imgui_test_engine",
                "https://github.com/ocornut/imgui_test_engine",
            ),
        )
    ),
    # imgui-bundle's fonts
    Native(
        "Font Awesome 6 Free (Solid)",
        "imgui-bundle",
        "OFL-1.1",
        "Copyright (c) 2024 Fonticons, Inc. (https://fontawesome.com)",
        files=(f"{_FONTS}/Font_Awesome_6_Free*",),
        home="https://fontawesome.com/",
    ),
    Native(
        "Font Awesome 4",
        "imgui-bundle",
        "OFL-1.1",
        "Copyright (c) Dave Gandy (https://fontawesome.com)",
        files=(f"{_FONTS}/fontawesome-webfont.ttf",),
        home="https://fontawesome.com/v4/",
    ),
    Native(
        "Droid Sans",
        "imgui-bundle",
        "Apache-2.0",
        "Copyright (C) 2008 The Android Open Source Project",
        files=(f"{_FONTS}/DroidSans.ttf",),
        home="https://android.googlesource.com/platform/frameworks/base/+/refs/heads/main/data/fonts",
    ),
    Native(
        "Roboto",
        "imgui-bundle",
        "Apache-2.0",
        "Copyright 2011 Google Inc.",
        files=(f"{_FONTS}/Roboto/*",),
        texts=(f"{_FONTS}/Roboto/LICENSE.txt",),
        home="https://fonts.google.com/specimen/Roboto",
    ),
    Native(
        "Inconsolata",
        "imgui-bundle",
        "OFL-1.1",
        "Copyright 2006 The Inconsolata Project Authors",
        files=(f"{_FONTS}/Inconsolata-*",),
        texts=(f"{_FONTS}/Inconsolata-LICENSE-OFL.txt",),
        home="https://github.com/googlefonts/Inconsolata",
    ),
    Native(
        "Latin Modern Math",
        "imgui-bundle",
        "LicenseRef-GUST-Font-License",
        "Copyright 2012-2014 B. Jackowski, P. Strzelczyk and P. Pianowski (GUST e-foundry)",
        files=(f"{_FONTS}/latex/*",),
        texts=(f"{_FONTS}/latex/GUST-FONT-LICENSE.txt",),
        home="https://www.gust.org.pl/projects/e-foundry/lm-math",
    ),
)


def matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) for p in patterns)


def _search(pattern: str, paths: list[Path], exclude: str = "") -> str:
    regex = re.compile(pattern.encode())
    for path in paths:
        for match in regex.finditer(path.read_bytes()):
            found = match.group(1).decode(errors="replace")
            if found != exclude:
                return found
    return ""


@dataclass
class Found:
    """One native component present in this bundle."""

    entry: Native
    version: str
    files: list[str]  # shipped files that are it (paths under _internal)
    inside: list[str]  # binaries it is linked into


def discover(internal: Path, files: list[str], parent_versions: dict[str, str]) -> list[Found]:
    """The table's components present among ``files`` (paths relative to ``internal``)."""
    out = []
    for entry in TABLE:
        if entry.parent not in parent_versions:
            continue
        own = [f for f in files if matches(f, entry.files)]
        hosts = [f for f in files if matches(f, entry.inside)]
        if entry.marker:
            marker = re.compile(entry.marker.encode())
            hosts = [f for f in hosts if marker.search((internal / f).read_bytes())]
        if not own and not hosts:
            continue
        version = entry.fixed_version
        if not version and entry.version:
            sources = [f for f in files if matches(f, entry.version_in)] or own or hosts
            version = _search(
                entry.version, [internal / f for f in sources], parent_versions[entry.parent]
            )
        out.append(Found(entry, version or "unknown", own, hosts))
    return out
