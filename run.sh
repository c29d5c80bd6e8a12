#!/usr/bin/env bash
# Set up (first time) and launch sloppy. Arguments go to sloppy, e.g. ./run.sh --headless
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup_env.sh
exec .venv/bin/sloppy "$@"
