#!/usr/bin/env bash
# Shared by run.sh, test.sh and .ci/run: create .venv and install sloppy (editable) into it.
# With --system-deps, also install the Debian packages GUI tests need when missing:
# Xvfb and Mesa (a screen and OpenGL), xdotool (a keyboard), xwd (screenshots).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${1:-}" == "--system-deps" ]]; then
  pkgs=()
  command -v Xvfb >/dev/null 2>&1 || pkgs+=(xvfb xauth)
  dpkg -s libgl1-mesa-dri >/dev/null 2>&1 || pkgs+=(libgl1-mesa-dri libglx-mesa0 libgl1 libegl1)
  dpkg -s libglu1-mesa >/dev/null 2>&1 || pkgs+=(libglu1-mesa)
  command -v xdotool >/dev/null 2>&1 || pkgs+=(xdotool)
  command -v xwd >/dev/null 2>&1 || pkgs+=(x11-apps)
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
