"""The grader's interface as CONTRACT.md fixes it: layouts, JSON shape, reports,
exit status, determinism, and what a missing or broken file costs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder.grading.grade import grade
from autograder.intake.submission import MODULES
from autograder.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = load_rubric()
ENGINE_PARTS = [p.id for p in RUBRIC.parts.values() if p.module == "engine"]
NN_PARTS = [p.id for p in RUBRIC.parts.values() if p.module == "nn"]
TRAIN_PARTS = [p.id for p in RUBRIC.parts.values() if p.module == "train"]
# The contract's part ids, as docs/interface.md (the kit's copy of the fixed interface) states them:
# the engine's table rows, and the "Parts: `neuron` (...), ..." lines of nn.py and train.py.
_INTERFACE = (ROOT / "docs" / "interface.md").read_text()
CONTRACT_PARTS = set(re.findall(r"^\| `(\w+)` \|", _INTERFACE, re.MULTILINE)) | {
    part for line in re.findall(r"^Parts: (.*)$", _INTERFACE, re.MULTILINE) for part in re.findall(r"`(\w+)` \(", line)}


def bare_copy(tmp_path: Path, name: str = "sub") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for module in MODULES:
        shutil.copy(ROOT / "solutions" / f"{module}.py", folder / f"{module}.py")
    return folder


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_result_has_the_contract_shape():
    result = grade(ROOT / "solutions")
    assert set(result["parts"]) >= CONTRACT_PARTS
    assert result["max_score"] == RUBRIC.total
    assert result["score"] == pytest.approx(sum(p["score"] for p in result["parts"].values()))
    for test in result["tests"]:
        assert test["status"] in ("passed", "failed", "error", "timeout")
        assert test["part"] in result["parts"]
        assert {"name", "score", "max_score", "message"} <= set(test)


def test_repository_layout_and_bare_folder_grade_alike(tmp_path):
    repo = ROOT / "examples" / "submissions" / "correct"
    bare = bare_copy(tmp_path)
    assert grade(repo)["score"] == grade(bare)["score"] == RUBRIC.total


def test_same_submission_same_json_every_run():
    first = cli("grade", "examples/submissions/relu_bug", "--format", "json")
    second = cli("grade", "examples/submissions/relu_bug", "--format", "json")
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


@pytest.mark.parametrize("missing, costs", [("engine", ENGINE_PARTS), ("nn", NN_PARTS), ("train", TRAIN_PARTS)])
def test_a_missing_file_costs_only_its_parts(tmp_path, missing, costs):
    folder = bare_copy(tmp_path)
    (folder / f"{missing}.py").unlink()
    result = grade(folder)
    for part_id, part in result["parts"].items():
        expected = 0 if part_id in costs else part["max_score"]
        assert part["score"] == expected, part_id
    assert f"{missing}.py is missing" in result["problems"][missing]
    assert any(f"{missing}.py is missing" in t["message"] for t in result["tests"] if t["part"] in costs)


def test_a_syntax_error_names_the_file_and_line(tmp_path):
    folder = bare_copy(tmp_path)
    source = (folder / "nn.py").read_text().splitlines()
    source.append("def broken(:")
    (folder / "nn.py").write_text("\n".join(source))
    result = grade(folder)
    assert f"SyntaxError at nn.py, line {len(source)}" in result["problems"]["nn"]
    assert all(result["parts"][p]["score"] == 0 for p in NN_PARTS)
    assert all(result["parts"][p]["score"] == result["parts"][p]["max_score"] for p in ENGINE_PARTS + TRAIN_PARTS)


def test_an_autodiff_import_gets_no_credit_for_its_module(tmp_path):
    folder = bare_copy(tmp_path)
    source = (folder / "train.py").read_text()
    (folder / "train.py").write_text(source.replace("from .engine import Value", "from .engine import Value\nimport torch"))
    result = grade(folder)
    assert "imports torch" in result["problems"]["train"]
    assert all(result["parts"][p]["score"] == 0 for p in TRAIN_PARTS)
    assert all(result["parts"][p]["score"] == result["parts"][p]["max_score"] for p in ENGINE_PARTS + NN_PARTS)


def test_exit_status_zero_whatever_the_score_and_two_for_an_unusable_path(tmp_path):
    assert cli("grade", "examples/submissions/untouched_skeleton", "--format", "json").returncode == 0
    assert cli("grade", str(tmp_path / "nowhere")).returncode == 2


def test_an_empty_folder_is_graded_zero_not_an_error(tmp_path):
    result = cli("grade", str(tmp_path), "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["score"] == 0


def test_output_file_and_every_format(tmp_path):
    for fmt in ("text", "json", "gradescope", "junit"):
        out = tmp_path / f"report.{fmt}"
        assert cli("grade", "examples/submissions/truediv_bug", "--format", fmt, "--output", str(out)).returncode == 0
        assert out.stat().st_size > 100
    gradescope = json.loads((tmp_path / "report.gradescope").read_text())
    assert gradescope["stdout_visibility"] == "hidden"
    assert {"score", "execution_time", "tests"} <= set(gradescope)
    for test in gradescope["tests"]:
        assert {"name", "score", "max_score", "output", "output_format", "visibility"} <= set(test)
    junit = ET.parse(tmp_path / "report.junit").getroot()
    assert junit.tag == "testsuites" and len(junit) == len(RUBRIC.parts)
    assert "truediv" in (tmp_path / "report.text").read_text()


def test_rubric_points_add_up_and_every_check_module_exists():
    assert sum(p.points for p in RUBRIC.parts.values()) == RUBRIC.total
    for part in RUBRIC.parts.values():
        for check in part.checks:
            assert (ROOT / "autograder" / "checks" / f"{check}.py").is_file()


def test_a_given_rubric_decides_visibility_in_every_report(tmp_path):
    """grade(rubric=X): the parts' visibility is X's, in the JSON and in Gradescope's results."""
    import dataclasses

    from autograder.grading.grade import grade_result
    from autograder.reporters import REPORTERS
    from autograder.rubric import Rubric

    parts = {pid: dataclasses.replace(p, visibility="after_due_date") if pid == "relu" else p
             for pid, p in RUBRIC.parts.items()}
    rubric = Rubric(total=RUBRIC.total, parts=parts)
    result = grade_result(ROOT / "examples" / "submissions" / "relu_bug", rubric=rubric)
    assert result.to_json()["parts"]["relu"]["visibility"] == "after_due_date"
    gradescope = json.loads(REPORTERS["gradescope"](result))
    relu = next(t for t in gradescope["tests"] if t["name"] == RUBRIC.parts["relu"].title)
    assert relu["visibility"] == "after_due_date"
    assert all(t["visibility"] == "visible" for t in gradescope["tests"] if t is not relu)


@pytest.mark.parametrize("line", ["from micrograd_feedback.probes import propagate",
                                  "import sys; _ref = sys.modules['_reference.engine']",
                                  "import probes", "from solutions.engine import Value as _V"])
def test_using_the_kits_own_code_gets_no_credit(tmp_path, line):
    """The checks' graph walk, the reference the sandbox loads, the kit's solutions: not the student's work."""
    folder = bare_copy(tmp_path)
    (folder / "engine.py").write_text((folder / "engine.py").read_text() + f"\n{line}\n")
    result = grade(folder)
    assert "the course's own reference or checking code" in result["problems"]["engine"]
    assert all(result["parts"][p]["score"] == 0 for p in ENGINE_PARTS)
