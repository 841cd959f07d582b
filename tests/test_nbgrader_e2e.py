"""The instructor workflow end to end, with the real nbgrader CLI and real kernels.

A throwaway copy of the course (``assignments/nbgrader_config.py`` and
``source/``) goes through ``generate_assignment``, five submissions of
``value_engine`` and two of ``neural_net``, ``autograde`` (one student at a
time, timed), ``generate_feedback`` and ``export``:

(a) the full solution          full marks
(b) the untouched release      0, and no crash
(c) relu assigns out.backward  loses relu's points only
(d) test cells edited/deleted  restored by nbgrader: full marks
(e) os._exit in one method     loses that part only (and whatever the integration part builds on it)

The per-part grades nbgrader records must equal ``python -m autograder grade``
on the same submitted notebook.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # nbgrader, alembic and jupyter live next to this Python
ENGINE_PARTS = tuple(load_rubric().of_module("engine"))
NN_PARTS = tuple(load_rubric().of_module("nn") + load_rubric().of_module("train"))
INTEGRATION = "graphs"  # builds random expressions from every op, so a broken op may cost it too
EXIT_METHOD, EXIT_PART = "tanh", "tanh"

pytestmark = pytest.mark.slow


def nbgrader(course: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(
        [str(BIN / "nbgrader"), *args],
        cwd=course,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (
        f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    )
    return done


def solution_sources(course: Path, assignment: str) -> dict[str, str]:
    """grade_id -> source of every solution cell of the instructor's notebook."""
    nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def submit(course: Path, student: str, assignment: str, edit=None) -> None:
    """Put the release, its solution cells filled in unless ``edit`` is "untouched", under submitted/."""
    nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    if edit != "untouched":
        solutions = solution_sources(course, assignment)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in solutions:
                cell.source = solutions[grade_id]
        if edit is not None:
            edit(nb)
    target = course / "submitted" / student / assignment
    target.mkdir(parents=True)
    nbformat.write(nb, target / f"{assignment}.ipynb")


def value_cell(nb) -> nbformat.NotebookNode:
    return next(
        c
        for c in nb.cells
        if c.metadata.get("micrograd", {}).get("module") == "engine" and "class Value" in c.source
    )


def relu_bug(nb) -> None:
    cell = value_cell(nb)
    relu = cell.source.index("def relu(")
    start = cell.source.index("out._backward = _backward", relu)
    cell.source = (
        cell.source[:start]
        + "out.backward = _backward"
        + cell.source[start + len("out._backward = _backward") :]
    )


def mul_no_chain(nb) -> None:
    """A wrong gradient (no out.grad factor in __mul__): its feedback draws the expression."""
    cell = value_cell(nb)
    cell.source = cell.source.replace("self.grad += other.data * out.grad", "self.grad += other.data", 1)


def tamper_with_tests(nb) -> None:
    """Overwrite one check cell with a free 6 points, blank another, delete a third."""
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    by_id["check_add"].source = "6.0"
    by_id["check_relu"].source = "# nothing to see here\n"
    nb.cells.remove(by_id["check_mul"])


def exit_in_method(nb) -> None:
    cell = value_cell(nb)
    head = f"    def {EXIT_METHOD}(self):\n"
    start = cell.source.index(head) + len(head)
    cell.source = cell.source[:start] + "        import os\n        os._exit(3)\n" + cell.source[start:]


VALUE_ENGINE = {
    "a_solution": None,
    "b_untouched": "untouched",
    "c_relu_bug": relu_bug,
    "d_tampered": tamper_with_tests,
    "e_os_exit": exit_in_method,
    "f_mul_no_chain": mul_no_chain,
}
NEURAL_NET = {"a_solution": None, "b_untouched": "untouched"}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    """Run the whole workflow once; the tests below inspect what it left."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    for assignment in ("value_engine", "neural_net"):
        nbgrader(course, "generate_assignment", assignment, "--create")
    for student, edit in VALUE_ENGINE.items():
        submit(course, student, "value_engine", edit)
    for student, edit in NEURAL_NET.items():
        submit(course, student, "neural_net", edit)
    seconds = {}
    for assignment, students in (("value_engine", VALUE_ENGINE), ("neural_net", NEURAL_NET)):
        for student in students:
            started = time.monotonic()
            nbgrader(course, "autograde", assignment, "--student", student)
            seconds[f"{assignment}/{student}"] = round(time.monotonic() - started, 1)
    for assignment in ("value_engine", "neural_net"):
        nbgrader(course, "generate_feedback", assignment)
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    grades = read_grades(course)
    summary = {"autograde_seconds": seconds, "grades": grades}
    print("\n" + json.dumps(summary, indent=1))
    (course / "e2e_summary.json").write_text(json.dumps(summary, indent=1))
    return {"dir": course, "seconds": seconds, "grades": grades}


def read_grades(course: Path) -> dict[str, dict[str, float]]:
    """ "<assignment>/<student>" -> part -> score, from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    grades: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment, students in (("value_engine", VALUE_ENGINE), ("neural_net", NEURAL_NET)):
            for student in students:
                nb = gb.find_submission_notebook(assignment, assignment, student)
                grades[f"{assignment}/{student}"] = {
                    g.name.removeprefix("check_"): g.score for g in nb.grades if g.name.startswith("check_")
                }
    return grades


def full_marks(parts) -> dict[str, float]:
    from autograder.rubric import load_rubric

    points = {p.id: p.points for p in load_rubric().parts.values()}
    return {part: points[part] for part in parts}


def test_release_has_no_solutions_or_hidden_tests(course):
    # lines of the reference solution each release must not contain (neural_net hands out the engine)
    solution_lines = {
        "value_engine": ("self.grad += out.grad", "topo.append(node)", "math.tanh(self.data)"),
        "neural_net": (
            "squared_errors",
            "history.append(loss.data)",
            "for _ in range(nout)]",
            "return self.w + [self.b]",
        ),
    }
    for assignment, lines in solution_lines.items():
        text = (course["dir"] / "release" / assignment / f"{assignment}.ipynb").read_text()
        for leak in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "score(", *lines):
            assert leak not in text, f"{assignment} release contains {leak!r}"
        assert "raise NotImplementedError()" in text and "# Hint:" in text


def test_full_solution_gets_full_marks(course):
    assert course["grades"]["value_engine/a_solution"] == full_marks(ENGINE_PARTS)
    assert course["grades"]["neural_net/a_solution"] == full_marks(NN_PARTS)


def test_untouched_release_gets_zero_without_crashing(course):
    assert course["grades"]["value_engine/b_untouched"] == dict.fromkeys(ENGINE_PARTS, 0.0)
    assert course["grades"]["neural_net/b_untouched"] == dict.fromkeys(NN_PARTS, 0.0)


def test_relu_bug_loses_only_relu(course):
    grades = course["grades"]["value_engine/c_relu_bug"]
    expected = full_marks(ENGINE_PARTS)
    assert grades["relu"] < expected["relu"]
    assert {p: s for p, s in grades.items() if p not in ("relu", INTEGRATION)} == {
        p: s for p, s in expected.items() if p not in ("relu", INTEGRATION)
    }


def test_edited_and_deleted_test_cells_are_restored(course):
    assert course["grades"]["value_engine/d_tampered"] == full_marks(ENGINE_PARTS)
    autograded = nbformat.read(course["dir"] / "autograded/d_tampered/value_engine/value_engine.ipynb", 4)
    sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in autograded.cells}
    for part in ("add", "mul", "relu"):
        assert f'score("{part}")' in sources[f"check_{part}"]


def test_os_exit_in_one_method_loses_only_that_part(course):
    grades = course["grades"]["value_engine/e_os_exit"]
    expected = full_marks(ENGINE_PARTS)
    assert grades[EXIT_PART] == 0.0
    assert {p: s for p, s in grades.items() if p not in (EXIT_PART, INTEGRATION)} == {
        p: s for p, s in expected.items() if p not in (EXIT_PART, INTEGRATION)
    }


def test_nbgrader_and_command_line_agree(course):
    """The same notebook gets the same per-part scores from `python -m autograder grade`."""
    # three submissions keep the test short: a bug, a crash, and the other assignment
    for key in ("value_engine/c_relu_bug", "value_engine/e_os_exit", "neural_net/a_solution"):
        grades = course["grades"][key]
        assignment, student = key.split("/")
        notebook = course["dir"] / "submitted" / student / assignment / f"{assignment}.ipynb"
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "grade", str(notebook), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        result = json.loads(done.stdout)
        assert {part: result["parts"][part]["score"] for part in grades} == grades, key


def test_feedback_shows_diagnosis_not_hidden_tests(course):
    html = (course["dir"] / "feedback/c_relu_bug/value_engine/value_engine.html").read_text()
    assert "relu: " in html and "points" in html  # the check cell's printed report
    assert "_backward" in html
    assert (
        "HIDDEN TESTS" not in html and "score(&quot;relu&quot;)" not in html and 'score("relu")' not in html
    )
    assert (course["dir"] / "feedback/a_solution/neural_net/neural_net.html").is_file()
    # each check is named by its part; math drawn in advance; nothing fetched from the network
    assert "Check `relu`: ReLU (relu)." in html and ">Test cell<" not in html
    assert "Cell In[" in html and "engine.py, line" not in html  # the error's place in the notebook's terms
    assert "cdnjs" not in html and not re.search(r'(src|href)="https?://', html)  # nothing loaded from the network
    assert "$$\\frac" not in html and "data:image/svg+xml;base64" in html  # the chain rule, drawn
    mul = (course["dir"] / "feedback/f_mul_no_chain/value_engine/value_engine.html").read_text()
    # the formula and the picture of the wrong gradient (an SVG output of the check cell), and why
    assert mul.count("data:image/svg+xml;base64") >= 2 and "not multiplied by `out.grad`" in " ".join(mul.split())


def test_export_writes_a_csv_row_per_submission(course):
    with open(course["dir"] / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    scores = {(r["assignment"], r["student_id"]): float(r["raw_score"]) for r in rows if r["status"] == "graded"}
    # no submission is an empty score, never a 0 the LMS would take (autograder/course/export.py)
    assert {r["score"] for r in rows if r["status"] == "no submission"} == {""}
    assert all(r["status"] in ("graded", "no submission") for r in rows)
    for key, grades in course["grades"].items():
        assignment, student = key.split("/")
        assert scores[(assignment, student)] == pytest.approx(sum(grades.values()))
    assert scores[("value_engine", "a_solution")] == pytest.approx(sum(full_marks(ENGINE_PARTS).values()))


def test_canvas_and_moodle_exports_from_the_gradebook(course, tmp_path):
    """``python -m autograder export COURSE``: the gradebook keyed on the course's roster.csv (``make roster``
    puts it there), a column per assignment and part; a graded student not on the roster is listed."""
    (course["dir"] / "roster.csv").write_text("id,first_name,last_name,email,lms_user_id\n"
                                              "a_solution,Ada,Lovelace,ada@example.edu,101\n"
                                              "c_relu_bug,Bob,Tables,bob@example.edu,102\n"
                                              "y_no_work,Cy,Young,cy@example.edu,103\n")
    files = {}
    for fmt in ("canvas", "moodle"):
        done = subprocess.run([sys.executable, "-m", "autograder", "export", str(course["dir"]), "--format", fmt,
                               "--parts", "--output", str(tmp_path / f"{fmt}.csv")], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "not in the roster, so not in the file: b_untouched (value_engine)" in done.stderr
        with open(tmp_path / f"{fmt}.csv", newline="") as handle:
            files[fmt] = list(csv.reader(handle))
    header, possible, *rows = files["canvas"]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert possible[0] == "Points Possible" and [r[:2] for r in rows] == [["Lovelace, Ada", "101"],
                                                                        ["Tables, Bob", "102"], ["Young, Cy", "103"]]
    ada, bob, cy = (dict(zip(header, row, strict=True)) for row in rows)
    points = dict(zip(header, possible, strict=True))
    for assignment, parts in (("value_engine", ENGINE_PARTS), ("neural_net", NN_PARTS)):
        assert ada[assignment] == points[assignment] == f"{sum(full_marks(parts).values()):.2f}"
    relu = course["grades"]["value_engine/c_relu_bug"]
    assert bob["value_engine: relu"] == "0.00" and bob["value_engine"] == f"{sum(relu.values()):.2f}"
    assert bob["neural_net"] == "", "no neural_net submission: no grade"
    assert set(list(cy.values())[5:]) == {""}
    moodle_header, *moodle_rows = files["moodle"]
    assert moodle_header[:4] == ["First name", "Last name", "ID number", "Email address"]
    assert [r[3] for r in moodle_rows] == ["ada@example.edu", "bob@example.edu", "cy@example.edu"]
    assert dict(zip(moodle_header, moodle_rows[1], strict=True))["value_engine"] == bob["value_engine"]


def make(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_make_feedback_after_a_manual_grade_regenerates_it(course):
    """A TA gives c_relu_bug's relu check full marks in formgrader; `make feedback` shows the new score."""
    from nbgrader.api import Gradebook

    page = course["dir"] / "feedback/c_relu_bug/value_engine/value_engine.html"
    before = page.read_text()
    with Gradebook(f"sqlite:///{course['dir'] / 'gradebook.db'}") as gb:
        grade = gb.find_grade("check_relu", "value_engine", "value_engine", "c_relu_bug")
        assert grade.score < grade.max_score
        grade.manual_score = grade.max_score
        gb.db.commit()
        total = gb.find_submission_notebook("value_engine", "value_engine", "c_relu_bug").score
    done = make("feedback", f"COURSE={course['dir']}")
    assert f"feedback: {course['dir']}/feedback/c_relu_bug/value_engine/value_engine.html" in done.stdout
    after = page.read_text()
    assert after != before and f"(Score: {round(total, 2)} / 60.0)" in after
    assert "checksum" not in done.stdout + done.stderr and "display_data_priority" not in done.stdout + done.stderr


def test_collect_writes_nbgrader_timestamps_so_late_penalties_work(course, tmp_path):
    handed_in = tmp_path / "lms-download" / "z_late"
    handed_in.mkdir(parents=True)
    notebook = handed_in / "value_engine.ipynb"
    shutil.copy(course["dir"] / "release/value_engine/value_engine.ipynb", notebook)
    late = time.mktime((2030, 1, 2, 3, 4, 5, 0, 0, -1))
    os.utime(notebook, (late, late))
    done = make("collect", f"FROM={tmp_path / 'lms-download'}", f"COURSE={course['dir']}")
    assert "z_late/value_engine" in done.stdout
    stamp = (course["dir"] / "submitted/z_late/value_engine/timestamp.txt").read_text()
    assert stamp.startswith("2030-01-0")
    again = make("collect", f"FROM={tmp_path / 'lms-download'}", f"COURSE={course['dir']}")
    assert "kept" in again.stdout, "a submission already there is never overwritten"
    nbgrader(course["dir"], "autograde", "value_engine", "--student", "z_late")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course['dir'] / 'gradebook.db'}") as gb:
        assert gb.find_submission("value_engine", "z_late").timestamp.year == 2030


def test_formgrader_under_make_lab_lists_the_course(course):
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "formgrader-test"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    lab = subprocess.Popen(["make", "--no-print-directory", "-C", str(ROOT), "lab", f"COURSE={course['dir']}",
                            f"LAB_ARGS={args}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        deadline, assignments = time.monotonic() + 90, None
        while time.monotonic() < deadline and assignments is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/formgrader/api/assignments?token={token}",
                                            timeout=5) as response:
                    assignments = json.load(response)
            except OSError:
                time.sleep(1)
        assert assignments is not None, "formgrader did not answer"
        names = {a["name"] for a in assignments}
        assert {"value_engine", "neural_net"} <= names
        counts = {a["name"]: a["num_submissions"] for a in assignments}
        assert counts["value_engine"] >= len(VALUE_ENGINE)
    finally:
        os.killpg(lab.pid, 15)
        lab.wait(timeout=30)


# -- the kit's fast path: the same gradebook without kernels -------------------------------------
@pytest.fixture(scope="module")
def fast_course(course, tmp_path_factory) -> dict:
    """A second copy of the course with the same submissions, autograded by ``nbgrader-autograde``."""
    fast = tmp_path_factory.mktemp("fast-course")
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", fast)
    shutil.copytree(ROOT / "assignments" / "source", fast / "source")
    for assignment, students in (("value_engine", VALUE_ENGINE), ("neural_net", NEURAL_NET)):
        nbgrader(fast, "generate_assignment", assignment, "--create")
        for student in students:
            shutil.copytree(course["dir"] / "submitted" / student / assignment,
                            fast / "submitted" / student / assignment)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    seconds = {}
    for assignment in ("value_engine", "neural_net"):
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "autograder", "nbgrader-autograde", assignment, "--course",
                               str(fast), "--jobs", "2"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        seconds[assignment] = round(time.monotonic() - started, 1)
    print(f"\nnbgrader-autograde seconds: {seconds}; nbgrader autograde: {course['seconds']}")
    return {"dir": fast, "seconds": seconds}


def test_fast_path_gives_every_check_cell_the_score_nbgrader_gives(course, fast_course):
    assert read_grades(fast_course["dir"]) == course["grades"]


def test_fast_path_restores_test_cells_and_shows_the_diagnosis(fast_course):
    nb = nbformat.read(fast_course["dir"] / "autograded/d_tampered/value_engine/value_engine.ipynb", as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    assert "6.0" != by_id["check_add"].source.strip() and 'check("add")' in by_id["check_add"].source
    assert "check_mul" in by_id, "a deleted test cell is put back"
    relu = nbformat.read(fast_course["dir"] / "autograded/c_relu_bug/value_engine/value_engine.ipynb", as_version=4)
    cell = next(c for c in relu.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "check_relu")
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert "graded by the course's grader" not in text and "you assigned `out.backward = ...`" in " ".join(text.split())
    assert cell.outputs[-1].output_type == "execute_result" and float(cell.outputs[-1].data["text/plain"]) == 0


def test_fast_path_formgrader_feedback_and_export_work(course, fast_course):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    def view(root: Path) -> dict:
        api = NbGraderAPI(coursedir=CourseDirectory(root=str(root)))
        return {(s["student"], a): (s["score"], s["max_score"], s["needs_manual_grade"])
                for a in ("value_engine", "neural_net") for s in api.get_submissions(a) if s["student"] in VALUE_ENGINE}

    plain, fast = view(course["dir"]), view(fast_course["dir"])
    plain.pop(("c_relu_bug", "value_engine"), None)  # a manual grade changed it in an earlier test
    assert {k: v for k, v in fast.items() if k in plain} == plain
    nbgrader(fast_course["dir"], "generate_feedback", "value_engine")
    page = (fast_course["dir"] / "feedback/c_relu_bug/value_engine/value_engine.html").read_text()
    assert "you assigned `out.backward = ...`" in " ".join(page.split()) and "report(" not in page
    nbgrader(fast_course["dir"], "export", "--to", str(fast_course["dir"] / "grades.csv"))
    with open(fast_course["dir"] / "grades.csv") as f:
        rows = {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(f)
                if r["status"] == "graded"}
    for key, part_scores in course["grades"].items():
        assignment, student = key.split("/")
        assert rows[(assignment, student)] == pytest.approx(sum(part_scores.values()))


def test_fast_path_run_again_after_a_resubmission_grades_the_new_notebook(course, fast_course):
    """A student hands in a fixed notebook and the command runs again: the new notebook's points go to the
    gradebook (the stored result of the old one is not taken), the others are kept as they were graded."""
    fast = fast_course["dir"]
    submitted = fast / "submitted" / "c_relu_bug" / "value_engine" / "value_engine.ipynb"
    buggy = submitted.read_text()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")

    def autograde() -> dict[str, dict[str, float]]:
        done = subprocess.run([sys.executable, "-m", "autograder", "nbgrader-autograde", "value_engine", "--course",
                               str(fast), "--jobs", "2"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return read_grades(fast)

    try:
        submitted.write_text((fast / "submitted" / "a_solution" / "value_engine" / "value_engine.ipynb").read_text())
        after = autograde()
        assert after["value_engine/c_relu_bug"] == course["grades"]["value_engine/a_solution"]
        assert {k: v for k, v in after.items() if k != "value_engine/c_relu_bug"} == \
            {k: v for k, v in course["grades"].items() if k != "value_engine/c_relu_bug"}
    finally:
        submitted.write_text(buggy)
    assert autograde() == course["grades"]  # and back: the buggy notebook costs relu's points again
