"""Equal bugs cost equal points (issue 24).

Every catalogued bug (the engine mutants and the nn/train mutants of the test suite) is handed in
``COPIES`` times, each copy a distinct submission (a comment makes its digest, and so its secret
inputs, its own), and the class is graded in one batch.  Drawn inputs vary the values a check
uses, never which behaviour it exercises, so every copy of a bug gets the same points in every
part.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
COPIES = int(os.environ.get("MICROGRAD_EQUAL_POINTS_COPIES", "20"))
MODULES = ("engine", "nn", "train")


def engine_mutants():
    spec = importlib.util.spec_from_file_location("engine_mutants", ROOT / "tests" / "submissions" / "engine" /
                                                  "mutants.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.MUTANTS


def bugs() -> dict[str, dict[str, str]]:
    """Bug name -> its modules' sources."""
    from tests.test_grader_nn_train import MUTANTS as NN_TRAIN

    reference = {m: (ROOT / "solutions" / f"{m}.py").read_text() for m in MODULES}
    found = {}
    for mutant in engine_mutants():
        engine = reference["engine"]
        for old, new in mutant.patches:
            engine = engine.replace(old, new)
        found[f"engine-{mutant.name}"] = {**reference, "engine": engine}
    for mutant in NN_TRAIN:
        found[f"{mutant.file}-{mutant.name}"] = {**reference, mutant.file: reference[mutant.file].replace(
            mutant.old, mutant.new)}
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, list[dict]]:
    tmp = tmp_path_factory.mktemp("equal-points")
    classroom, out = tmp / "class", tmp / "out"
    everything = bugs()
    for name, sources in everything.items():
        for copy in range(COPIES):
            folder = classroom / f"{name}--{copy:02d}"
            folder.mkdir(parents=True)
            for module, text in sources.items():
                (folder / f"{module}.py").write_text(text + f"\n# copy {copy}\n")
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(classroom), "--out", str(out),
                           "--jobs", str(os.cpu_count() or 2)], cwd=ROOT, capture_output=True, text=True,
                          timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, list[dict]] = {name: [] for name in everything}
    for path in sorted(out.glob("*/result.json")):
        results[path.parent.name.split("--")[0]].append(json.loads(path.read_text()))
    return results


def test_every_copy_of_a_bug_gets_the_same_points_in_every_part(graded):
    unequal = {}
    for name, copies in graded.items():
        assert len(copies) == COPIES, name
        for part in copies[0]["parts"]:
            scores = sorted({c["parts"][part]["score"] for c in copies})
            if len(scores) > 1:
                unequal[f"{name} / {part}"] = scores
    assert not unequal, "the same bug, different points:\n" + "\n".join(f"  {k}: {v}" for k, v in unequal.items())
