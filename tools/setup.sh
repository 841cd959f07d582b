#!/usr/bin/env bash
# Create .venv and install everything the kit needs. Idempotent and quiet:
# prints nothing on success, and the install log on failure.
#
#   TORCH_SPEC   the PyTorch requirement installed first (default torch==2.13.0)
#   TORCH_INDEX  an index for it, e.g. PyTorch's CPU-only index (see README)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
fail() { echo "setup failed: $1 (log below)" >&2; cat "$LOG" >&2; exit 1; }

# System packages: graphviz (`dot`, for graph pictures), bubblewrap (the
# grader's sandbox), Debian's python3 (an interpreter the sandbox user can
# read) with the course environment's packages (autograder/sandbox/course-packages.txt:
# submissions may import them, so the sandbox must have them too).
# Only where we are root with apt; otherwise the kit says what is missing.
need=()
command -v dot >/dev/null || need+=(graphviz)
command -v bwrap >/dev/null || need+=(bubblewrap)
[ -x /usr/bin/python3 ] || need+=(python3)
# Fresh environments from Debian's python3 (the CI runner's trusted step, Gradescope's setup.sh),
# and sudo for the test that plays a GitHub runner's non-root user.
/usr/bin/python3 -c "import ensurepip" 2>/dev/null || need+=(python3-venv)
command -v sudo >/dev/null || need+=(sudo)
# A real browser for the tests of what students see (Debian's Chromium and its driver).
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# Node.js and npm: `make student-site` bundles the browser self-check's editor and Pyodide from npm.
command -v npm >/dev/null || need+=(nodejs npm)
while read -r module package _; do
    case "$module" in ''|'#'*) continue ;; esac
    { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $module" 2>/dev/null; } || need+=("$package")
done < autograder/sandbox/course-packages.txt
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; } >>"$LOG" 2>&1 \
        || echo "note: could not install ${need[*]} with apt-get; continuing without them" >&2
fi

PYTHON=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" >>"$LOG" 2>&1 || fail "could not create $VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
# PyTorch first, pinned: a loose `torch` requirement would pull a multi-GB CUDA build.
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
    "${PIP[@]}" install ${TORCH_INDEX:+--index-url "$TORCH_INDEX"} "${TORCH_SPEC:-torch==2.13.0}" >>"$LOG" 2>&1 \
        || fail "could not install PyTorch"
fi
"${PIP[@]}" install -e ".[course,dev,cluster]" >>"$LOG" 2>&1 || fail "could not install the kit"
