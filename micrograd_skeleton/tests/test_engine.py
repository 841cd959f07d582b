"""Public checks for engine.py. Run them with:  pytest micrograd_skeleton

One test per graded part of engine.py: small fixed cases aimed at the classic bugs,
checked against finite differences, with the same diagnoses as the course's
grader (which checks much more, with cases of its own).  A failure says what
was run, what was expected, what came back, and the likely cause.
"""

import pytest

from micrograd_feedback.modules import PARTS
from micrograd_feedback.selfcheck import modules_of_package, require_part


@pytest.mark.parametrize("part", [part for part, spec in PARTS.items() if spec.module == "engine"])
def test_part(part):
    print(require_part(part, modules_of_package("micrograd_skeleton")))
