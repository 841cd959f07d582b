"""``nbgrader-autograde`` takes each result from a batch that is still running (``Arrivals``).

The batch here is a real process that writes a result the way ``grade-batch``
does (``result.json``, then the stamp of what it graded), or exits as a
failed batch would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.batch.store import ERROR, RESULT, STAMP
from autograder.course.autograde import Arrivals
from tests.docs_blocks import kit_env

NEW = {"submission": "this run's files", "rubric": "r", "grader": "g"}
OLD = {"submission": "an earlier run's files", "rubric": "r", "grader": "g"}


def result(score: float) -> dict:
    return {"score": score, "max_score": 60.0, "parts": {}}


def write(folder: Path, score: float, stamp: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RESULT).write_text(json.dumps(result(score)))
    (folder / STAMP).write_text(json.dumps(stamp))


def batch(program: str) -> subprocess.Popen:
    """A stand-in batch: a real process running ``program`` (with json, time and Path imported)."""
    return subprocess.Popen([sys.executable, "-c", f"import json, time\nfrom pathlib import Path\n{program}"])


def test_a_result_left_by_an_earlier_run_waits_for_this_runs(tmp_path):
    write(tmp_path / "ann", 10.0, OLD)
    running = batch(f"time.sleep(0.5)\n"
                    f"Path({str(tmp_path / 'ann' / RESULT)!r}).write_text({json.dumps(json.dumps(result(60.0)))})\n"
                    f"Path({str(tmp_path / 'ann' / STAMP)!r}).write_text({json.dumps(json.dumps(NEW))})\n"
                    "time.sleep(30)")
    try:
        assert Arrivals(tmp_path / "sources", tmp_path, {"ann": NEW}, running).result("ann")["score"] == 60.0
    finally:
        running.kill()
        running.wait()


def test_a_result_already_graded_from_the_same_files_is_taken_at_once(tmp_path):
    write(tmp_path / "bob", 42.0, NEW)
    running = batch("time.sleep(30)")
    try:
        assert Arrivals(tmp_path / "sources", tmp_path, {"bob": NEW}, running).result("bob")["score"] == 42.0
        assert running.poll() is None, "taken without waiting for the batch"
    finally:
        running.kill()
        running.wait()


def test_a_submission_the_batch_failed_on_gets_the_graders_reason_not_a_stale_score(tmp_path):
    write(tmp_path / "cy", 55.0, OLD)
    (tmp_path / "cy" / ERROR).write_text("Traceback ...\nRuntimeError: the grading process was killed by signal 9\n")
    finished = batch("raise SystemExit(1)")  # 1: some submissions failed, each with its error.txt
    finished.wait()
    got = Arrivals(tmp_path / "sources", tmp_path, {"cy": NEW}, finished).result("cy")
    assert got == {"error": "the grader failed: Traceback ...\nRuntimeError: the grading process was killed by signal 9"}


def test_a_batch_that_stopped_before_grading_a_student_stops_nbgrader_for_them(tmp_path):
    stopped = batch("raise SystemExit(130)")  # interrupted
    stopped.wait()
    with pytest.raises(RuntimeError, match="stopped .exit status 130. before grading dee"):
        Arrivals(tmp_path / "sources", tmp_path, {"dee": NEW}, stopped).result("dee")


def test_the_kits_commands_read_notebooks_without_jsonschemas_iri_parsers():
    """jsonschema builds lark parsers for its "iri" format on import when rfc3987-syntax is installed
    (1.3 s); the kit's commands never check formats, so they do without it, and nbformat still validates."""
    probe = ("import runpy, sys; sys.argv = ['autograder', '--help']\n"
             "try:\n    runpy.run_module('autograder', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "import jsonschema._format as formats, nbformat, nbgrader.api\n"
             "assert 'iri' not in formats.draft7_format_checker.checkers, 'iri parsers built'\n"
             "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')])\n"
             "nbformat.validate(nb)\n"
             "bad = nbformat.from_dict({'cell_type': 'code', 'source': 1})\n"
             "try:\n    nbformat.validate(bad, ref='code_cell')\nexcept nbformat.ValidationError:\n    print('validated')\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("validated")
    plain = subprocess.run([sys.executable, "-c", "import jsonschema._format as f; print('iri' in "
                            "f.draft7_format_checker.checkers)"], capture_output=True, text=True, timeout=120)
    assert plain.stdout.strip() in ("True", "False"), plain.stderr  # installed or not, plain imports are untouched


def test_nbgraders_gradebooks_share_one_engine_per_database_during_a_run(tmp_path, monkeypatch):
    """nbgrader opens a Gradebook (a new SQLAlchemy engine) nine times per notebook; during a run they share
    one per database, and one Gradebook closing (which empties the engine's pool) breaks no other."""
    import nbgrader.api
    from nbgrader.api import Gradebook

    from autograder.course.autograde import one_engine_per_database

    url, other = f"sqlite:///{tmp_path / 'gradebook.db'}", f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("PATH", kit_env()["PATH"])  # nbgrader runs alembic to make a new gradebook
    original = nbgrader.api.create_engine
    with one_engine_per_database():
        with Gradebook(url) as outer:
            with Gradebook(url) as inner:
                assert inner.engine is outer.engine, "a second engine for the same database"
                inner.add_student("ada")
            outer.add_student("grace")  # after the inner one closed and disposed of the shared pool
            with Gradebook(other) as elsewhere:
                assert elsewhere.engine is not outer.engine
        with Gradebook(url) as again:
            assert sorted(s.id for s in again.students) == ["ada", "grace"]
    assert nbgrader.api.create_engine is original, "nbgrader's own create_engine restored after the run"
    with Gradebook(url) as after, Gradebook(url) as second:
        assert after.engine is not second.engine  # nbgrader as it is outside the command
        assert sorted(s.id for s in after.students) == ["ada", "grace"]
