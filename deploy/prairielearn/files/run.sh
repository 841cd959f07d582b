#!/bin/sh
# PrairieLearn's entrypoint for micrograd questions (info.json: externalGradingOptions.entrypoint).
#   /grade/serverFilesCourse/micrograd/run.sh [ASSIGNMENT]
# Grades /grade/student and ALWAYS writes /grade/results/results.json.
#
#   PL_GRADE_ROOT  the /grade tree (tests use a temporary one)
#   KIT_PYTHON     the grader's interpreter (default: the image's venv)
ROOT=${PL_GRADE_ROOT:-/grade}
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
PYTHON=${KIT_PYTHON:-/opt/micrograd/venv/bin/python}
mkdir -p "$ROOT/results"
# The grader reads its secret from $XDG_CONFIG_HOME/micrograd-kit/grader-secret.
export XDG_CONFIG_HOME="$HERE/config"
cd "$HERE/grader" && "$PYTHON" -m deploy.prairielearn run --root "$ROOT" ${1:+--assignment "$1"}
if [ ! -s "$ROOT/results/results.json" ]; then
    cat >"$ROOT/results/results.json" <<'JSON'
{"gradable": false, "format_errors": ["The autograder could not start. This is not a verdict on your code: your instructor can see the details."], "message": "The autograder could not start.", "tests": []}
JSON
fi
exit 0
