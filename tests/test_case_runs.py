"""The checks of a module run in one pytest item (``autograder/grading/cases.py``, issue 26): every
result is the one that one item per check gives, on the bench's mixed class (the examples,
every engine mutant, the correct alternatives, the learners' engines, the nn/train variants,
notebooks) and on every hostile fixture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from autograder.grading import cases
from autograder.grading.grade import checks_arguments
from autograder.rubric import load_rubric
from tests.test_hostile import FIXTURES, build

ROOT = Path(__file__).resolve().parent.parent
SECRET = "case-runs-" + "0" * 32
pytest_plugins = ["pytester"]  # a small module of checks, collected as the grader collects its own

# Graded in processes of their own (hostile code runs there, sandboxed): ``grade_each(folders, grouped=...)``.
GRADE = """
import json, sys
from pathlib import Path
from autograder.grading.grade import grade_each
folders = [Path(p) for p in json.loads(sys.argv[1])]
results = {}
def done(path, result, error):
    results[path.name] = result.to_json() if result else f"error: {error!r}"
grade_each(folders, done, grouped=sys.argv[2] == "grouped")
Path(sys.argv[3]).write_text(json.dumps(results))
"""
# Hostile fixtures whose results depend on timing, so two runs of one way can differ too; test_hostile.py
# holds each to an honest score.
TIMING_DEPENDENT = {
    # its forged answers race the real ones (a timer every 50 ms)
    "after_the_answer",
    # its exp() creates files until the file system refuses: on a loaded machine a case can run out the
    # part's time budget first (seen with three busy loops beside the four graders)
    "resource_abuse",
}


def collected_checks() -> list[pytest.Item]:
    class Collect:
        items: list[pytest.Item] = []

        def pytest_collection_finish(self, session):
            Collect.items = list(session.items)

    pytest.main([*checks_arguments(load_rubric()), "--collect-only"], plugins=[Collect()])
    return Collect.items


def test_the_checks_of_a_module_share_an_item():
    items = collected_checks()
    runs = cases.runs(items)
    assert [case for run in runs for case in run] == items, "every check once, in pytest's order"
    assert [run[0].module for run in runs] == list(dict.fromkeys(item.module for item in items)), \
        "one run per check module"
    assert [len(run) for run in cases.runs(items, grouped=False)] == [1] * len(items)


def test_a_check_whose_fixtures_a_shared_item_would_change_keeps_its_own(pytester):
    pytester.makepyfile(test_checks="""
        import pytest

        @pytest.fixture(scope="module")
        def shared():
            return 1

        @pytest.fixture
        def with_teardown():
            yield 2

        @pytest.fixture(scope="module")
        def other():
            return 3

        @pytest.mark.parametrize("n", [1, 2])
        def test_a(shared, n): pass

        def test_b(shared): pass

        def test_c(shared, with_teardown): pass

        def test_d(shared, request): pass

        def test_e(shared): pass

        def test_f(shared, other): pass
    """)
    items, _ = pytester.inline_genitems()
    assert [[item.name for item in run] for run in cases.runs(items)] == [
        ["test_a[1]", "test_a[2]", "test_b"], ["test_c"], ["test_d"], ["test_e"], ["test_f"]]


@pytest.mark.slow
def test_every_result_is_the_same_with_one_item_per_case(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_grading import class_bases

    marker = uuid.uuid4().hex[:12]
    # Hostile ones first: the few that wait out deadlines (~20 s each) are spread over both halves.
    folders = [build(tmp_path / "hostile" / name, name, marker) for name in FIXTURES if name not in TIMING_DEPENDENT]
    folders += [path for _, path in class_bases(tmp_path / "class")]
    env = dict(os.environ, MICROGRAD_GRADER_SECRET=SECRET)
    graders = {}
    for way in ("grouped", "one item per case"):
        for half in (0, 1):  # four graders at once: most of the hostile ones' time is waiting
            output = tmp_path / f"{way}-{half}.json"
            listing = json.dumps([str(f) for f in folders[half::2]])
            graders[way, output] = subprocess.Popen([sys.executable, "-c", GRADE, listing, way, str(output)],
                                                    cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    results: dict[str, dict] = {"grouped": {}, "one item per case": {}}
    for (way, output), grader in graders.items():
        _, stderr = grader.communicate(timeout=1800)
        assert grader.returncode == 0, stderr[-3000:]
        results[way].update(json.loads(output.read_text()))
    grouped, single = results["grouped"], results["one item per case"]
    assert sorted(grouped) == sorted(single) == sorted(f.name for f in folders)
    for result in [*grouped.values(), *single.values()]:
        assert isinstance(result, dict), result
        result.pop("execution_time")
    assert not [name for name in grouped if grouped[name] != single[name]], "results differ"
    statuses = {check["status"] for result in grouped.values() for check in result["tests"]}
    assert {"passed", "failed"} <= statuses, "the class holds passing and failing checks"
    full = grouped["correct"]
    assert full["score"] == full["max_score"] and len(full["tests"]) == len(collected_checks()), \
        "one result per case"
