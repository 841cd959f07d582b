"""A failure caused by another part's bug says so first, on both sides (issue 24).

With ``__mul__`` missing the chain factor, ``-a`` (``self * -1``) and ``a / b`` (``self * other**-1``) go
wrong in the students' public checks, which run the student's whole class: their first words must be
that they use ``__mul__``, which is wrong.  In the hidden grader each operation is graded with the
reference's other members, so only the integration part ``graphs`` meets the cascade: it must say so
too, and never blame a part that passes its own checks (``truediv``) for ``mul``'s bug.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_feedback.selfcheck import check_part

ROOT = Path(__file__).resolve().parent.parent
MUL_NO_CHAIN = ("self.grad += other.data * out.grad", "self.grad += other.data")


def engine_module(tmp_path: Path, patch: tuple[str, str] | None):
    source = (ROOT / "solutions" / "engine.py").read_text()
    if patch:
        assert source.count(patch[0]) == 1
        source = source.replace(*patch)
    path = tmp_path / "engine.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"engine_{tmp_path.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_diagnosis(results) -> tuple[str, str]:
    failed = next(r for r in results if r.status != "passed")
    return failed.diagnoses[0].key, failed.diagnoses[0].advice


@pytest.mark.parametrize("part", ["neg_sub", "truediv", "graphs"])
def test_a_public_check_that_uses_a_wrong_part_says_so_first(tmp_path, part):
    engine = engine_module(tmp_path, MUL_NO_CHAIN)
    key, advice = first_diagnosis(check_part(part, {"engine": engine}))
    assert key == "uses-a-wrong-part" and "`__mul__`" in advice and "fix `mul` first" in advice


def test_the_wrong_part_itself_and_a_correct_engine_get_no_cascade(tmp_path):
    (tmp_path / "buggy").mkdir()
    buggy = engine_module(tmp_path / "buggy", MUL_NO_CHAIN)
    mul = check_part("mul", {"engine": buggy})
    assert all(d.key != "uses-a-wrong-part" for r in mul for d in r.diagnoses)
    assert any(d.key == "missing-chain-factor" for r in mul for d in r.diagnoses)
    (tmp_path / "correct").mkdir()
    correct = engine_module(tmp_path / "correct", None)
    for part in ("mul", "neg_sub", "truediv", "graphs"):
        assert all(r.status == "passed" for r in check_part(part, {"engine": correct})), part


@pytest.mark.slow
def test_the_hidden_integration_part_names_the_cascade_and_never_an_innocent_part(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    for module in ("engine", "nn", "train"):
        shutil.copy(ROOT / "solutions" / f"{module}.py", folder / f"{module}.py")
    engine = folder / "engine.py"
    engine.write_text(engine.read_text().replace(*MUL_NO_CHAIN))
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    result = json.loads(done.stdout)
    assert {p for p, r in result["parts"].items() if r["score"] < r["max_score"]} == {"mul", "graphs"}
    graphs = [t for t in result["tests"] if t["part"] == "graphs" and t["status"] != "passed"]
    assert graphs and all(t["diagnoses"][0]["key"] == "uses-a-wrong-part" for t in graphs)
    assert all("`truediv`" not in t["message"] and "in `neg_sub`" not in t["message"] for t in graphs)
