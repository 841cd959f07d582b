"""The PyTorch oracles in a process of their own (``autograder/oracles/remote.py``, issue 26): a cold
``grade`` gets exactly the result a batch (oracles in-process) gets, and a broken or inherited oracle
process never changes an answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.oracles import remote, torch_oracle, torch_oracle_nn

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"
SECRET = "oracle-process-" + "0" * 32
EXPRESSION, INPUTS = "(a * b).tanh() + a.relu() - b ** 2 / a", {"a": 0.7, "b": -1.3}


@pytest.fixture
def oracle_process():
    remote.start()
    yield
    remote.stop()


def local(function, *args, **kwargs):
    """What ``function`` answers in this process."""
    return remote._LOCAL[function.__module__, function.__name__](*args, **kwargs)


def test_the_oracle_process_answers_what_this_process_would(oracle_process):
    params = [[[0.3, -0.2, 0.1], [0.5, 0.4, -0.3]], [[0.7, -0.6, 0.2]]]
    assert torch_oracle.evaluate(EXPRESSION, INPUTS) == local(torch_oracle.evaluate, EXPRESSION, INPUTS)
    assert torch_oracle_nn.network(params, [1.0, -2.0], ["tanh", "linear"]) == \
        local(torch_oracle_nn.network, params, [1.0, -2.0], ["tanh", "linear"])
    assert torch_oracle_nn.train(params, [[1.0, 2.0], [0.5, -1.0]], [1.0, -1.0], 3, 0.1) == \
        local(torch_oracle_nn.train, params, [[1.0, 2.0], [0.5, -1.0]], [1.0, -1.0], 3, 0.1)
    with pytest.raises(TypeError, match="does not depend on any input"):  # what it raises, raised here
        torch_oracle.evaluate("1 + 2", {"a": 1.0})
    assert remote._process is not None, "an oracle's own error is an answer, not a broken process"


def test_a_dead_oracle_process_is_replaced_by_computing_here(oracle_process):
    assert remote._process is not None
    remote._process.kill()
    remote._process.wait()
    assert torch_oracle.evaluate(EXPRESSION, INPUTS) == local(torch_oracle.evaluate, EXPRESSION, INPUTS)
    assert remote._process is None


def test_a_forked_child_never_uses_its_parents_pipes(oracle_process):
    """A batch forks its graders: were one to write to the parent's oracle pipe, answers would cross."""
    expected = local(torch_oracle.evaluate, EXPRESSION, INPUTS)
    child = os.fork()
    if child == 0:
        ok = all(torch_oracle.evaluate(EXPRESSION, {"a": 0.7 + i, "b": -1.3}) ==
                 local(torch_oracle.evaluate, EXPRESSION, {"a": 0.7 + i, "b": -1.3}) for i in range(30))
        os._exit(0 if ok else 1)
    for _ in range(30):
        assert torch_oracle.evaluate(EXPRESSION, INPUTS) == expected
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.slow
def test_a_cold_grade_and_a_batch_give_the_same_results(tmp_path):
    """The CLI's cold grade (oracles in their own process) against grade-batch (oracles in the graders), on
    engine bugs, nn/train variants and a notebook-free correct one, under the same secret."""
    reference = {m: (ROOT / "solutions" / f"{m}.py").read_text() for m in ("engine", "nn", "train")}
    for example in sorted((ROOT / "examples" / "submissions").iterdir()):
        shutil.copytree(example, tmp_path / "class" / example.name)
    for variant in sorted((SUBMISSIONS / "nn_train").iterdir()):
        folder = tmp_path / "class" / f"nn_train_{variant.name}"
        folder.mkdir()
        for module, source in reference.items():
            (folder / f"{module}.py").write_text(source)
        for path in variant.glob("*.py"):
            shutil.copy(path, folder / path.name)
    for learner in ("relu_out_backward", "lecture_tanh_overflow"):
        folder = tmp_path / "class" / learner
        folder.mkdir()
        (folder / "engine.py").write_text((SUBMISSIONS / "engine" / "learners" / f"{learner}.py").read_text())
        for module in ("nn", "train"):
            (folder / f"{module}.py").write_text(reference[module])
    env = {**os.environ, "MICROGRAD_GRADER_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    batch = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(tmp_path / "class"), "--out",
                            str(tmp_path / "out"), "--no-similarity"], env=env, capture_output=True, text=True)
    assert batch.returncode == 0, batch.stderr
    for folder in sorted((tmp_path / "class").iterdir()):
        cold = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--format", "json"],
                              env=env, capture_output=True, text=True)
        assert cold.returncode == 0, cold.stderr
        mine, batched = json.loads(cold.stdout), json.loads((tmp_path / "out" / folder.name / "result.json").read_text())
        for result in (mine, batched):
            result.pop("execution_time", None)  # how long it took: the batch keeps it
        assert mine == batched, folder.name
