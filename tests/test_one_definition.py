"""A part is defined once (issue 25): no test or document keeps a hand-written list of the parts.

Lists of parts are read from the rubric (``load_rubric``) or from the contract's copy,
docs/interface.md, which is exempt: it states the fixed interface.  A line that names six or
more of the rubric's part ids as quoted or code-formatted words is a hand-written list; so is a
document stating an assignment's total in points.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
PARTS = set(load_rubric().parts)
EXEMPT = {ROOT / "docs" / "interface.md"}


def named_parts(line: str) -> set[str]:
    return {word for word in re.findall(r"[\"'`](\w+)[\"'`]", line) if word in PARTS}


def test_no_hand_written_list_of_parts_in_tests_or_docs():
    places = [*sorted((ROOT / "tests").rglob("*.py")), *sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
    found = [f"{path.relative_to(ROOT)}:{number}: {sorted(named_parts(line))}"
             for path in places if path not in EXEMPT
             for number, line in enumerate(path.read_text().splitlines(), 1) if len(named_parts(line)) >= 6]
    assert not found, "hand-written lists of parts (derive them from the rubric):\n" + "\n".join(found)


def test_no_document_states_an_assignments_total():
    rubric = load_rubric()
    totals = {name: rubric.for_assignment(name).total for name in rubric.assignments}
    found = []
    for path in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for name, total in totals.items():
                if re.search(rf"`?{name}`?,? {total:g} points", line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "assignment totals written by hand (`python -m autograder rubric` prints them):\n" + \
        "\n".join(found)
