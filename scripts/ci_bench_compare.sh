#!/usr/bin/env bash
# CI (after ./test.sh): compare HEAD with its parent using `sloppy bench compare`.
#   blocking:     the exact gates (a new module from outside sloppy on the start-up path; code
#                 bytes and instructions growing past 1 %) and a confirmed timed regression
#                 beyond 25 % (gui, then headless);
#   warning:      exit 3, inconclusive: a timed gate neither showed nor ruled out a slowdown;
#   report only:  the page-cache-evicted (--cold) gui comparison and the frozen bundles'.
# A file split inside sloppy (a new sloppy.* module that costs no measurable bytes or
# instructions) passes without a trailer.
# Reports land in artifacts/bench-compare/. A commit that accepts a cost says so in its message
# with a trailer, e.g. `Bench-Accept: first_frame_modules` (one metric per trailer).
# Usage: scripts/ci_bench_compare.sh [BASE [HEAD]]   (default HEAD^ HEAD)
set -uo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-HEAD^}
HEAD=${2:-HEAD}
OUT=$PWD/artifacts/bench-compare
SLOPPY=.venv/bin/sloppy
export PYTHONDONTWRITEBYTECODE=1

if ! git rev-parse --verify --quiet "$BASE^{commit}" >/dev/null; then
  echo "bench compare: skipped ($BASE is not in this clone: a first commit or a shallow clone)"
  exit 0
fi
if ! git cat-file -e "$BASE:launcher/sloppy_main.py" 2>/dev/null &&
  ! git cat-file -e "$BASE:launcher/sloppy_launcher/sloppy_main.py" 2>/dev/null; then
  echo "bench compare: skipped ($BASE predates launcher/: nothing comparable)"
  exit 0
fi
mkdir -p "$OUT"
accept=()
while read -r metric; do
  [[ -n $metric ]] && accept+=("--accept=$metric")
done < <(git log -1 --format='%(trailers:key=Bench-Accept,valueonly)' "$HEAD")
((${#accept[@]})) && echo "bench compare: HEAD accepts ${accept[*]}"

status=0
warnings=0
started=$SECONDS
step() {  # step NAME BLOCKING ARGS...: run one comparison, keep its report
  local name=$1 blocking=$2
  shift 2
  local t0=$SECONDS code
  echo "== bench compare: $name"
  nice -n 5 "$SLOPPY" bench compare "$@" --json "$OUT/$name.json" --markdown "$OUT/$name.md" \
    >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"
  code=$?
  tail -n 1 "$OUT/$name.stdout"
  echo "   ($name: exit $code, $((SECONDS - t0)) s; report $OUT/$name.md)"
  if ((code == 2)); then
    tail -n 20 "$OUT/$name.stderr"
  fi
  if ((code == 3)); then
    echo "   WARNING: $name is inconclusive (not a pass): read $OUT/$name.md"
    warnings=$((warnings + 1))
  elif ((blocking && code != 0)); then
    status=1
  fi
}

step gui 1 "$BASE" "$HEAD" --mode gui --min-effect 25 "${accept[@]}"
step headless 1 "$BASE" "$HEAD" --mode headless --min-effect 25 --budget 120 "${accept[@]}"
step gui-cold 0 "$BASE" "$HEAD" --mode gui --cold --min-effect 25 --budget 150 --no-cachegrind

# The start-up history (docs/bench.md): both revisions' metrics as git notes on their commits.
for name in gui headless; do
  [[ -s $OUT/$name.json ]] && "$SLOPPY" bench record --from-json "$OUT/$name.json" >/dev/null 2>&1
done
git notes --ref=refs/notes/sloppy-bench show "$HEAD" >"$OUT/history-note.json" 2>/dev/null || true
if [[ ${SLOPPY_BENCH_PUSH_NOTES:-0} == 1 ]]; then
  git push -q origin refs/notes/sloppy-bench || echo "bench history: could not push the notes"
fi

# Frozen: build both bundles, each with its own tree's tooling and spec (report only).
frozen=$(mktemp -d)
py=$PWD/.venv/bin/python
built=1
for side in base head; do
  rev=$BASE
  [[ $side == head ]] && rev=$HEAD
  src="$frozen/$side-src"
  mkdir -p "$src"
  git archive "$rev" | tar -x -C "$src"
  t0=$SECONDS
  # The entry moved into launcher/sloppy_launcher/; both sides freeze from this environment
  # (--current-env, where the tree knows it) so that only the code differs.
  entry=(-m launcher.sloppy_main build)
  if [[ -d $src/launcher/sloppy_launcher ]]; then
    entry=(-m sloppy_launcher.sloppy_main build --current-env)
  fi
  if (cd "$src" && PYTHONPATH="$src/src:$src/launcher:$src/build:$src" nice -n 5 "$py" \
    "${entry[@]}" --dist "$frozen/$side-dist" --work "$frozen/$side-work" \
    >"$OUT/build-$side.log" 2>&1); then
    echo "== built the $side bundle ($rev) in $((SECONDS - t0)) s"
  else
    echo "== building the $side bundle failed (see $OUT/build-$side.log): no frozen comparison"
    built=0
  fi
done
if ((built)); then
  step frozen 0 "$frozen/base-dist" "$frozen/head-dist" --mode gui --min-effect 25 --budget 180
fi
rm -rf "$frozen"
echo "bench compare: $((SECONDS - started)) s in all; $warnings inconclusive;" \
  "blocking verdict: exit $status"
exit $status
