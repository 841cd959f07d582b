"""Mutation tests of the autograder, engine side.

* The reference scores full marks, the untouched skeleton 0 (without crashing).
* Every engine mutant (``tests/submissions/engine/mutants.py``: one catalogued
  bug each, as a text patch of ``solutions/engine.py``) loses points in its
  own part, keeps full marks in every other engine part (``graphs``, the
  integration part that uses every op and ``backward``, may lose too), and the
  first failed check of its part names the bug.
* nn/train parts never see the student's engine: an engine that cannot even
  be imported keeps full marks there (so every mutant does).
* Every unusual-but-correct engine (``tests/submissions/engine/alternatives/``)
  scores full marks.

Grading is in-process; engine mutants are graded on the engine parts only
(about a second each), which keeps this file well under a minute.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from functools import cache
from pathlib import Path

import pytest

from autograder.grading.grade import grade
from autograder.rubric import Rubric, load_rubric
from micrograd_feedback.diagnosis import BUGS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "solutions"
DATA = ROOT / "tests" / "submissions" / "engine"
ALTERNATIVES = sorted((DATA / "alternatives").glob("*.py"))
SECRET = b"engine mutation tests"  # fixed: the same inputs on every run


def _load_mutants():
    spec = importlib.util.spec_from_file_location("engine_mutants", DATA / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module.MUTANTS


MUTANTS = {m.name: m for m in _load_mutants()}


@cache
def rubric_for(*modules: str) -> Rubric:
    """The real rubric restricted to the parts of ``modules``."""
    full = load_rubric()
    parts = {k: p for k, p in full.parts.items() if p.module in modules}
    return Rubric(total=sum(p.points for p in parts.values()), parts=parts)


def with_the_course_operations(engine_source: str) -> str:
    """``engine_source`` (written for the shipped course) with the reference's version of every operation
    the course defines by its rule alone and the engine lacks (docs/customising.md adds such ones): the
    corpus's engines then stay what they are, correct or with their one bug, in a customised course."""
    import ast
    import textwrap

    reference = (REFERENCE / "engine.py").read_text()
    value = next(node for node in ast.parse(reference).body if isinstance(node, ast.ClassDef) and node.name == "Value")
    methods = {node.name: node for node in value.body if isinstance(node, ast.FunctionDef)}
    grafts = []
    for part in load_rubric().defined_by_rule():
        method = part.members[0]
        if f"def {method}(" not in engine_source:
            code = textwrap.dedent(ast.get_source_segment(reference, methods[method]) or "")
            grafts.append(f"{code.replace(f'def {method}(', f'def _course_{method}(', 1)}\n"
                          f"Value.{method} = _course_{method}\n")
    return engine_source + ("\n\nimport math\n\n" + "\n".join(grafts) if grafts else "")


def stage(directory: Path, engine_source: str) -> Path:
    """A bare-folder submission: this engine.py (with the course's rule-defined operations it lacks: see
    ``with_the_course_operations``) and the reference nn.py and train.py."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "engine.py").write_text(with_the_course_operations(engine_source))
    for module in ("nn.py", "train.py"):
        shutil.copy(REFERENCE / module, directory / module)
    return directory


def mutated(mutant) -> str:
    source = (REFERENCE / "engine.py").read_text()
    for old, new in mutant.patches:
        assert source.count(old) == 1, f"{mutant.name}: the patch's old text must occur once in solutions/engine.py"
        source = source.replace(old, new)
    return source


def lost(result: dict) -> dict[str, float]:
    return {k: p["score"] for k, p in result["parts"].items() if p["score"] < p["max_score"]}


def summary(result: dict) -> str:
    failed = [t for t in result["tests"] if t["status"] != "passed"]
    return "\n".join(f"{t['name']}: {t['message'][:300]}" for t in failed[:5])


# -- the two ends ------------------------------------------------------------------
def test_reference_scores_full_marks():
    result = grade(REFERENCE, secret=SECRET)
    assert result["score"] == result["max_score"] == load_rubric().total, summary(result)


def test_untouched_skeleton_scores_zero():
    result = grade(ROOT / "micrograd_skeleton", secret=SECRET)
    assert result["score"] == 0, lost(result)
    engine = [t for t in result["tests"] if t["part"] in rubric_for("engine").parts]
    assert engine and all(t["status"] != "passed" for t in engine)
    assert not any("internal grader error" in t["message"] for t in result["tests"])


# -- mutants ---------------------------------------------------------------------------
def test_mutants_cover_the_catalogue():
    """At least 18 mutants; every engine bug the issue lists has one; every key is catalogued."""
    assert len(MUTANTS) >= 18
    assert all(m.diagnosis in BUGS for m in MUTANTS.values())
    listed = {
        "backward-not-underscore", "not-a-value", "truediv-numerator-detached", "assign-not-accumulate",
        "missing-reflected", "reflected-swapped", "number-not-wrapped", "neg-detached", "pow-exponent-not-reduced",
        "missing-chain-factor", "exp-grad-uses-input", "tanh-overflow", "relu-grad-at-zero", "backward-no-topo",
        "backward-no-visited", "backward-not-reversed", "backward-no-seed",
    }
    assert listed <= {m.diagnosis for m in MUTANTS.values()}


@pytest.mark.parametrize("name", MUTANTS)
def test_mutant_loses_points_in_its_part_and_is_diagnosed(tmp_path, name):
    mutant = MUTANTS[name]
    result = grade(stage(tmp_path / name, mutated(mutant)), rubric=rubric_for("engine"), secret=SECRET)
    losses = lost(result)
    for part in mutant.parts:
        assert part in losses, f"{name} keeps full marks in {part}"
    assert set(losses) <= set(mutant.parts) | {"graphs"}, f"{name} also loses {losses}"
    assert not any("internal grader error" in t["message"] for t in result["tests"]), summary(result)
    first_failed = next(t for t in result["tests"] if t["part"] == mutant.parts[0] and t["status"] != "passed")
    assert mutant.diagnosis in [d["key"] for d in first_failed["diagnoses"]], first_failed["message"]


BROKEN_ENGINE = 'raise SystemExit("this engine cannot even be imported")\n'


@pytest.mark.parametrize("name", ["unimportable", "no_radd"])
def test_engine_bugs_cost_nothing_in_nn_and_train(tmp_path, name):
    """nn/train parts run on the reference engine and never import the student's: an engine that
    cannot even be imported (so, a fortiori, every mutant) costs them nothing."""
    source = BROKEN_ENGINE if name == "unimportable" else mutated(MUTANTS[name])
    result = grade(stage(tmp_path / name, source), rubric=rubric_for("nn", "train"), secret=SECRET)
    assert result["score"] == result["max_score"], summary(result)


# -- unusual but correct -------------------------------------------------------------------
def test_there_are_enough_alternatives():
    assert len(ALTERNATIVES) >= 6


@pytest.mark.parametrize("path", ALTERNATIVES, ids=lambda p: p.stem)
def test_unusual_but_correct_engine_scores_full_marks(tmp_path, path):
    result = grade(stage(tmp_path / path.stem, path.read_text()), rubric=rubric_for("engine"), secret=SECRET)
    assert result["score"] == result["max_score"], summary(result)


def test_unimportable_engine_scores_zero_in_engine_parts_with_a_message(tmp_path):
    result = grade(stage(tmp_path / "broken", BROKEN_ENGINE), rubric=rubric_for("engine"), secret=SECRET)
    assert result["score"] == 0
    assert all(t["message"] and "internal grader error" not in t["message"] for t in result["tests"])
