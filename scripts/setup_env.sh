#!/usr/bin/env bash
# Shared by run.sh, test.sh and .ci/run: create .venv and install sloppy (editable) into it.
# With --system-deps, also install the Debian packages GUI tests need when missing:
# Xvfb and Mesa (a screen and OpenGL), xdotool (a keyboard), xwd (screenshots), valgrind
# (instruction counts for `sloppy bench compare`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# GLFW (inside imgui-bundle) loads the X client libraries below at run time; a fresh machine
# has none of them.
SYSTEM_PACKAGES=(
  xvfb xauth xdotool x11-apps
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

PY="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.sloppy-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
