#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image,
# with the zip extracted to /autograder/source. It installs the grader and
# locks it away from the unprivileged user that student code runs as.
#
# Steps (all by default; choose some with SETUP_STEPS="system python user secret permissions"):
#   system       apt: bubblewrap (the sandbox), Debian/Ubuntu's python3 and numpy
#                (the interpreter student code runs in), a Python >= 3.11 for the grader
#   python       a venv at $AUTOGRADER_ROOT/venv: the CPU PyTorch wheel from PyTorch's
#                CPU index, then requirements.txt
#   user         the unprivileged user $SANDBOX_USER (no home, no login shell)
#   secret       the grader's secret (seeds the hidden probe inputs): made once per
#                image, so a submission gets the same inputs, and score, on every run
#   permissions  the grader's files (source/, venv/, results/, run_autograder) readable by root only
#
# Environment:
#   AUTOGRADER_ROOT  Gradescope's tree (default /autograder); tests use a temporary one
#   SANDBOX_USER     the unprivileged user (default: student)
#   TORCH_INDEX      where the PyTorch wheel comes from (default: PyTorch's CPU-only index;
#                    empty: pip's configured index)
#   DRY_RUN=1        print each command instead of running it
set -euo pipefail

ROOT=${AUTOGRADER_ROOT:-/autograder}
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
STEPS=" ${SETUP_STEPS:-system python user secret permissions} "
SANDBOX_USER=${SANDBOX_USER:-student}
TORCH_INDEX=${TORCH_INDEX-https://download.pytorch.org/whl/cpu}  # set it empty for pip's configured index
TORCH_SPEC=$(cat "$SOURCE/torch-requirement.txt" 2>/dev/null || echo "torch==2.13.0")

run() {
    if [ "${DRY_RUN:-0}" = 1 ]; then
        echo "+ $*"
    else
        "$@"
    fi
}
step() { [[ "$STEPS" == *" $1 "* ]] && echo "== setup: $1"; }

# The first interpreter on PATH that is Python >= 3.11 (the kit's minimum).
grader_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if step system; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        run apt-get update -qq
        # python3 + python3-numpy: the interpreter the sandbox runs student code
        # in (readable by the sandbox user) and the numpy students may import.
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            ca-certificates python3 python3-venv python3-numpy
        # Not in every release: without it the grader still isolates with the
        # rest (separate uid, limits) and says so in its result.
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap \
            || echo "note: bubblewrap is not available; grading runs without it"
        if [ "${DRY_RUN:-0}" != 1 ] && ! grader_python >/dev/null; then
            # Ubuntu 22.04's python3 is 3.10; its universe has 3.11.
            run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                python3.11 python3.11-venv \
                || echo "note: no python3.11 package; choose the Ubuntu 24.04 base image" >&2
        fi
    else
        echo "note: not root with apt-get; skipping system packages"
    fi
fi

if step python; then
    if [ "${DRY_RUN:-0}" = 1 ]; then
        PY=$(grader_python || echo python3.11)
    else
        PY=$(grader_python) || { echo "setup failed: no Python >= 3.11 (choose the Ubuntu 24.04 base image)" >&2; exit 1; }
    fi
    run "$PY" -m venv "$VENV"
    run "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
    # PyTorch first, pinned, from the CPU index: PyPI's default wheel is a
    # multi-GB CUDA build that the grader does not need.
    run "$VENV/bin/python" -m pip install --disable-pip-version-check -q ${TORCH_INDEX:+--index-url "$TORCH_INDEX"} \
        "$TORCH_SPEC"
    run "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$SOURCE/requirements.txt"
    (cd "$SOURCE" && run "$VENV/bin/python" -c "import torch, autograder; print('grader ready: torch', torch.__version__)")
fi

if step user; then
    if id -u "$SANDBOX_USER" >/dev/null 2>&1; then
        echo "user $SANDBOX_USER exists"
    else
        run useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SANDBOX_USER"
    fi
fi

if step secret; then
    # Where the grader looks: $XDG_CONFIG_HOME/micrograd-kit/grader-secret
    # (run_autograder sets XDG_CONFIG_HOME=$ROOT/config). Kept if it exists.
    SECRET="$ROOT/config/micrograd-kit/grader-secret"
    if [ -s "$SECRET" ]; then
        echo "grader secret exists"
    else
        run mkdir -p "$(dirname "$SECRET")"
        if [ "${DRY_RUN:-0}" = 1 ]; then
            echo "+ write 32 random bytes (hex) to $SECRET"
        else
            (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$SECRET")
        fi
    fi
fi

if step permissions; then
    # Root-only: the hidden checks, the reference engine nn.py is graded
    # against, the grader's venv and secret, and the results. The sandbox user keeps
    # /usr/bin/python3, which is all it needs.
    run mkdir -p "$ROOT/results"
    for path in "$SOURCE" "$VENV" "$ROOT/config" "$ROOT/results" "$ROOT/run_autograder"; do
        if [ -e "$path" ] || [ "${DRY_RUN:-0}" = 1 ]; then
            [ "$(id -u)" != 0 ] || run chown -R root:root "$path"
            run chmod -R go-rwx "$path"
        fi
    done
fi
