"""Diagnoses that never mislead: engines written the way learners write them.

``tests/submissions/engine/learners/`` holds complete engines in learners'
styles (the lecture's, a typed one with an iterative sort), each correct or
with one real-world deviation: a gradient flag that is off by default, the
exponent in ``_prev``, a constructor in another order, operands kept under
another name, ``other.grad`` for ``other.data``, a ``_backward`` never
assigned, missing methods, and the classic bugs.  Each file's header states
what the grader must say:

    # expect <part>: <key>   the part loses points and its first failed check names [key]
    # expect <part>: none    the part loses points and no catalogued bug fits: none is named
    # expect <part>: -       the part loses points (graphs, the integration part, when an
    #                        operation it uses is broken: it may name that operation's bug)
    # also has: <key>        a second bug the engine really has (it may be named too)
    # expect full marks

Every part not listed keeps full marks.  An operation a course adds by its rule alone
(docs/customising.md) is not the corpus's: what these engines make of it is not stated, and
its part is left out of the comparisons, and so is the integration part, which uses it.  And, whatever the grader says
anywhere in the result, it names no catalogued bug the engine does not have:
its premise would be false (observations, which say only what was seen, are
allowed).  The exact messages of the six situations that once misled are
pinned below.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from test_grader_engine import SECRET, rubric_for, stage

from autograder.grading.grade import grade
from autograder.rubric import load_rubric
from micrograd_feedback.diagnosis.catalogue import BUGS, OBSERVATIONS

LEARNERS = Path(__file__).resolve().parent / "submissions" / "engine" / "learners"
# Parts the corpus was not written for: an operation the course added by its rule, and then the integration
# part, whose random expressions use it (built by the learner's constructor, in the learner's way).
COURSE_OWN = {part.id for part in load_rubric().defined_by_rule()}
COURSE_OWN |= {"graphs"} if COURSE_OWN else set()
ENGINES = sorted(LEARNERS.glob("*.py"))


def expectations(path: Path) -> dict[str, str | None]:
    """part -> the key its first failed check must name ("none": no key; None: any the engine has)."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"# expect (\w+): (\S+)", line)
        if match:
            found[match.group(1)] = None if match.group(2) == "-" else match.group(2)
    return found


def bugs_it_has(path: Path) -> set[str]:
    stated = {key for key in expectations(path).values() if key and key != "none"}
    return stated | set(re.findall(r"^# also has: (\S+)$", path.read_text(), re.MULTILINE))


@cache
def graded(name: str) -> dict:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        source = (LEARNERS / f"{name}.py").read_text()
        return grade(stage(Path(folder) / name, source), rubric=rubric_for("engine"), secret=SECRET)


def named(test: dict) -> list[str]:
    """The catalogue keys a check's message gives the advice of (the JSON result's ``diagnoses``)."""
    return [d["key"] for d in test.get("diagnoses", [])]


def first_failed(result: dict, part: str) -> dict:
    return next(t for t in result["tests"] if t["part"] == part and t["status"] != "passed")


def test_the_corpus_is_large_and_every_expected_key_is_catalogued():
    assert len(ENGINES) >= 25
    for path in ENGINES:
        for key in {*expectations(path).values(), *bugs_it_has(path)}:
            assert key in (None, "none") or key in BUGS or key in OBSERVATIONS, f"{path.name}: {key}"


@pytest.mark.parametrize("path", ENGINES, ids=lambda p: p.stem)
def test_each_learner_engine_is_scored_and_diagnosed_as_stated(path):
    expected = {part: key for part, key in expectations(path).items() if part not in COURSE_OWN}
    result = graded(path.stem)
    lost = {k for k, p in result["parts"].items() if p["score"] < p["max_score"]} - COURSE_OWN
    assert lost == set(expected), f"loses {sorted(lost)}, expected {sorted(expected)}"
    for part, key in expected.items():
        message = first_failed(result, part)["message"]
        if key == "none":
            assert not set(named(first_failed(result, part))) & set(BUGS), message
        elif key is not None:
            assert key in named(first_failed(result, part)), message
    assert "internal grader error" not in str(result)


@pytest.mark.parametrize("path", ENGINES, ids=lambda p: p.stem)
def test_no_advice_whose_premise_the_engine_contradicts(path):
    """Every catalogued bug named anywhere in the result is one this engine has."""
    has = bugs_it_has(path)
    given = {key for test in graded(path.stem)["tests"] if test["part"] not in COURSE_OWN
             for key in named(test) if key in BUGS}
    assert given <= has, f"named {sorted(given - has)}, which {path.stem} does not have"


# -- the six situations that misled, with the exact message a student reads -------------------------
def message(name: str, part: str) -> str:
    return first_failed(graded(name), part)["message"]


def likely_cause(name: str, part: str) -> str:
    return next(line for line in message(name, part).splitlines() if line.startswith(("Likely cause", "What this")))


def test_a_gradient_flag_off_by_default_is_named_not_the_formulas():
    assert likely_cause("require_grad_off_by_default", "tanh") == (
        "Likely cause: gradients are switched off by `require_grad`, which is False for `Value(x)`: the grader "
        "(and the contract) builds leaves as `Value(x)` and expects them to receive gradients; default "
        "`require_grad` to True, or drop the flag")
    # The integration part sends the student to the part that names the flag first (the cascade), then
    # says what it saw; it names no formula.
    assert likely_cause("require_grad_off_by_default", "graphs") == (
        "What this shows: this uses your `__add__`, which is wrong (part `add`): fix `add` first; the code "
        "checked here may be right once it is")
    assert "no-gradient" in named(first_failed(graded("require_grad_off_by_default"), "graphs"))


def test_the_exponent_in_prev_is_named_not_an_unwrapped_number():
    text = message("exponent_in_prev", "pow")
    assert "Got: _prev holds a plain int" in text or "Got: _prev holds a plain float" in text
    assert re.search(r"Likely cause: `_prev` holds the exponent \(-?[\d.]+\), a plain number: only Values belong "
                     r"in the graph\. In `__pow__` the exponent is a constant: build the result with `\(self,\)` "
                     r"as its children$", text, re.MULTILINE), text
    assert "number-not-wrapped" not in str(graded("exponent_in_prev"))


def test_a_constructor_in_another_order_is_named_and_costs_only_backward():
    result = graded("label_before_children")
    assert {k for k, p in result["parts"].items() if p["score"] < p["max_score"]} - COURSE_OWN == {"backward"}
    text = message("label_before_children", "backward")
    assert "Your code raised" not in text
    assert "backward-skips-nodes" not in named(first_failed(result, "backward"))
    assert likely_cause("label_before_children", "backward") == (
        "Likely cause: the grader builds a node as `Value(data, children)`, in the contract's order "
        "`Value(data, _children=(), _op='', label='')`; your `__init__` takes `(data, label, _prev, _op)`, so the "
        "children land in `label` and `_prev` stays empty: make `_children` the second parameter")


@pytest.mark.parametrize(("name", "attribute"), [("children_attribute", "_children"), ("prev_without_underscore", "prev"),
                                                 ("private_prev", "__prev"), ("children_list", "children")])
def test_operands_under_another_name_are_named(name, attribute):
    assert likely_cause(name, "add") == (
        f"Likely cause: the operands are kept in `{attribute}`, not in `_prev`: the contract (and so the grader) "
        f"finds the Values a node was computed from in `_prev`; rename `{attribute}` to `_prev`")
    assert "neg-detached" not in str(graded(name))


def test_multiplying_by_the_other_grad_is_named():
    assert likely_cause("mul_uses_grad", "mul") == (
        "Likely cause: `__mul__`'s `_backward` multiplies by the other operand's `.grad` instead of its `.data`: "
        "d(a*b)/da is b's value, so `self`'s share uses `other.data` (and `other`'s uses `self.data`)")


def test_a_missing_method_is_named_without_blaming_the_students_code():
    text = message("no_exp_no_relu", "exp")
    assert "Your code raised" not in text
    assert "Calling your code raised AttributeError: 'Value' object has no attribute 'exp'" in text
    assert likely_cause("no_exp_no_relu", "exp") == (
        "Likely cause: `Value` has no `exp()`: the contract's Value defines it, and this part's checks call it")
    assert likely_cause("no_neg_no_sub", "neg_sub").startswith("Likely cause: `Value` has no `__")


def test_a_backward_never_assigned_says_how_to_assign_it():
    assert likely_cause("relu_backward_never_assigned", "relu") == (
        "Likely cause: the result's `_backward` is never assigned, so no gradient reaches the inputs: after "
        "`def _backward(): ...`, set `out._backward = _backward`")


def test_an_error_raised_in_another_parts_code_sends_the_student_there_first():
    """``__pow__`` wraps its exponent, so ``b**3`` raises inside the README expression: the integration
    part names the part that raised (the cascade), not a reflected method the engine does have."""
    assert likely_cause("pow_wraps_exponent", "graphs") == (
        "What this shows: this uses your `__pow__`, which is wrong (part `pow`): fix `pow` first; the code "
        "checked here may be right once it is")
    assert "missing-reflected" not in named(first_failed(graded("pow_wraps_exponent"), "graphs"))


def test_a_constructor_without_the_cosmetic_op_costs_nothing():
    """The contract's ``_op`` is cosmetic: the grader builds nodes without it when ``__init__`` lacks it."""
    parts = graded("init_without_op")["parts"]
    assert all(p["score"] == p["max_score"] for k, p in parts.items() if k not in COURSE_OWN), parts
