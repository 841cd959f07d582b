"""The contract's JSON result, as written: stable key order, nothing random."""

from __future__ import annotations

import json

from micrograd_feedback.result import SubmissionResult

# Fields that vary between runs of the same submission stay out of the JSON, so
# that the result is the same on every run (docs/interface.md).
VOLATILE = ("execution_time",)


def render(result: SubmissionResult) -> str:
    stable = {k: v for k, v in result.to_json().items() if k not in VOLATILE}
    return json.dumps(stable, indent=2, sort_keys=False) + "\n"
