#!/usr/bin/env bash
# Set up (first time, including Xvfb and Mesa through apt) and run every gate and test.
# Arguments go to pytest, e.g. ./test.sh -m "not slow" for the quick subset.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup_env.sh --system-deps
export PYTHONDONTWRITEBYTECODE=${PYTHONDONTWRITEBYTECODE:-1}
echo "== ruff";  .venv/bin/ruff format --check . && .venv/bin/ruff check .
echo "== mypy";  .venv/bin/mypy
echo "== layers"; .venv/bin/lint-imports --no-cache
if [[ -f scripts/audit_main_thread_imports.py ]]; then
  echo "== main-thread import gate"; .venv/bin/python scripts/audit_main_thread_imports.py
fi
echo "== pytest"
.venv/bin/python -m pytest "$@"
