#!/usr/bin/env bash
# Shared by run.sh, test.sh and .ci/run: create .venv and install sloppy (editable) into it.
# With --system-deps, also install the Debian packages GUI tests need when missing:
# Xvfb and Mesa (a screen and OpenGL), xdotool (a keyboard), xwd (screenshots), xprop (the
# window icon), desktop-file-validate (the .desktop entry), gnome-keyring (a real Secret Service
# keychain on a private D-Bus bus);
# valgrind (instruction counts for `sloppy bench compare`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# GLFW (inside imgui-bundle) loads the X client libraries below at run time; a fresh machine
# has none of them. binutils: `strip` for the release bundle (packaging/strip_elf.py).
SYSTEM_PACKAGES=(
  binutils
  xvfb xauth xdotool x11-apps x11-utils desktop-file-utils gnome-keyring
  libgl1 libegl1 libglx-mesa0 libgl1-mesa-dri libglu1-mesa
  libx11-6 libx11-xcb1 libxext6 libxrandr2 libxcursor1 libxi6 libxinerama1 libxxf86vm1
  libxrender1
  valgrind
)

if [[ "${1:-}" == "--system-deps" ]]; then
  pkgs=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || pkgs+=("$pkg")
  done
  if ((${#pkgs[@]})); then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "setup: installing ${pkgs[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  fi
fi

# Python packages come from uv.lock (every runtime, build and dev dependency, with hashes).
# uv does not read pip.conf: the lock names PyPI files, the same on every machine.
PY="${PYTHON:-python3}"
export UV_PYTHON_DOWNLOADS=never
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
if [[ ! -x .venv/bin/uv ]]; then
  uv_version=$(sed -n '/^name = "uv"$/{n;s/^version = "\(.*\)"$/\1/p;}' uv.lock)
  .venv/bin/python -m pip install -q "uv==${uv_version:?no uv in uv.lock}"
fi
stamp=.venv/.sloppy-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp || uv.lock -nt $stamp ]]; then
  if .venv/bin/uv lock --check -q 2>/dev/null; then
    .venv/bin/uv sync --frozen --extra dev -q
  else
    # pyproject.toml changed since the lock was written (e.g. a merge added a dependency):
    # install from a fresh resolution but leave the committed lock alone, so that
    # tests/tooling/test_release_lock.py still reports it. Refresh it with: .venv/bin/uv lock
    echo "setup: uv.lock is out of date with pyproject.toml; run .venv/bin/uv lock and commit it" >&2
    cp uv.lock .venv/uv.lock.committed
    .venv/bin/uv sync --extra dev -q
    mv .venv/uv.lock.committed uv.lock
  fi
  touch "$stamp"
fi

# Bytecode for everything a start reads, so the first launch after setup already starts from
# .pyc (uv sync writes none by default, and PYTHONDONTWRITEBYTECODE=1 would keep the first
# runs from writing any): site-packages once per install, sloppy's own sources when changed.
bytecode=.venv/.sloppy-bytecode
if [[ ! -f $bytecode || $stamp -nt $bytecode ]]; then
  .venv/bin/uv sync --frozen --inexact --extra dev -q --compile-bytecode 2>/dev/null \
    || .venv/bin/python -m compileall -q -j0 "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" >/dev/null
  rm -f "$bytecode.own"
  touch "$bytecode"
fi
if [[ ! -f $bytecode.own ]] || [[ -n $(find src launcher build/sloppy_build -name '*.py' -newer "$bytecode.own" -print -quit) ]]; then
  .venv/bin/python -m compileall -q -j0 src launcher build/sloppy_build >/dev/null
  touch "$bytecode.own"
fi
