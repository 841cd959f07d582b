"""Mutation tests of the grader, nn.py and train.py side.

Each mutant is a small text patch of the reference ``solutions/nn.py`` or
``solutions/train.py`` that plants one known bug.  It must lose points in
its own part, keep full marks in every engine part and in the other module's
parts, and name its bug (the ``[key]`` of ``autograder.diagnosis.BUGS``).
The alternatives under ``tests/submissions/nn_train/`` are correct code in
other styles: they must score full marks.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.grading.grade import grade
from autograder.intake.submission import MODULES
from autograder.rubric import load_rubric
from micrograd_feedback.diagnosis import BUGS

ROOT = Path(__file__).resolve().parent.parent
ALTERNATIVES = Path(__file__).resolve().parent / "submissions" / "nn_train"
RUBRIC = load_rubric()
MODULE_OF = {part.id: part.module for part in RUBRIC.parts.values()}


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # "nn" or "train"
    old: str  # must occur exactly once in the reference file
    new: str
    part: str  # the part that must lose points
    bug: str | None  # the BUGS key its feedback must name; None: an uncatalogued bug


MUTANTS = [
    # -- nn.py ----------------------------------------------------------------
    Mutant("shared-weights", "nn", "self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]",
           "self.w = [Value(random.uniform(-1, 1))] * nin", "neuron", "shared-weights"),
    Mutant("bias-not-a-parameter", "nn", "return self.w + [self.b]", "return self.w",
           "neuron", "bias-missing-from-parameters"),
    Mutant("bias-not-in-forward", "nn", "act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)",
           "act = sum(wi * xi for wi, xi in zip(self.w, x))", "neuron", "bias-missing-from-forward"),
    Mutant("bias-not-in-forward-value-start", "nn", "zip(self.w, x)), self.b)", "zip(self.w, x)), Value(0.0))",
           "layer", "bias-missing-from-forward"),
    Mutant("relu-neuron-is-linear", "nn", 'if self.activation == "relu":', 'if self.activation == "relu" and False:',
           "neuron", None),
    Mutant("layer-always-list", "nn", "return outs[0] if len(outs) == 1 else outs", "return outs",
           "layer", "layer-always-list"),
    Mutant("mlp-drops-last-layer", "nn", "for i in range(len(nouts))\n", "for i in range(len(nouts) - 1)\n",
           "mlp", "mlp-last-layer"),
    Mutant("mlp-ignores-output-activation", "nn", "output_activation if i == last else activation", "activation",
           "mlp", "mlp-last-layer"),
    Mutant("mlp-output-activation-everywhere", "nn", "output_activation if i == last else activation",
           "output_activation", "mlp", "mlp-last-layer"),
    Mutant("mlp-last-layer-always-linear", "nn", "output_activation if i == last else activation",
           '"linear" if i == last else activation', "mlp", "mlp-last-layer"),
    Mutant("zero-grad-rebinds", "nn", "            p.grad = 0.0\n", "            p = 0.0  # noqa\n",
           "mlp", "zero-grad-rebinds"),
    Mutant("zero-grad-rebinds-grad-list", "nn", "        for p in self.parameters():\n            p.grad = 0.0\n",
           "        for g in [p.grad for p in self.parameters()]:\n            g = 0.0  # noqa\n",
           "mlp", "zero-grad-rebinds"),
    # -- train.py -------------------------------------------------------------
    Mutant("mse-sum", "train", "return sum(squared_errors) / len(squared_errors)", "return sum(squared_errors)",
           "loss", "mse-sum"),
    Mutant("hinge-sum", "train", "return sum(margins) / len(margins)", "return sum(margins)", "loss", None),
    Mutant("l2-without-alpha", "train", "return alpha * sum(p * p for p in parameters)",
           "return sum(p * p for p in parameters)", "loss", None),
    Mutant("train-no-zero-grad", "train", "        model.zero_grad()\n        loss.backward()\n",
           "        loss.backward()\n", "training", "train-no-zero-grad"),
    Mutant("train-zero-after-backward", "train", "        model.zero_grad()\n        loss.backward()\n",
           "        loss.backward()\n        model.zero_grad()\n", "training", "train-zero-after-backward"),
    Mutant("sgd-wrong-sign", "train", "        p.data -= lr * p.grad\n", "        p.data += lr * p.grad\n", "training", "sgd-wrong-sign"),
    Mutant("train-records-after-update", "train",
           "        sgd_step(model.parameters(), lr)\n        history.append(loss.data)\n",
           "        sgd_step(model.parameters(), lr)\n        history.append(loss_fn([model(x) for x in xs], ys).data)\n",
           "training", None),
    # hostile: kills its worker; costs the training part only (a fresh worker serves every other part)
    Mutant("train-exits-the-worker", "train", "    history = []\n", "    __import__('os')._exit(0)\n",
           "training", None),
]

# Correct code written differently, as a patch of the reference: full marks.  A score of exactly
# 0 is a tie the contract leaves open: karpathy's demo counts it with the positives.
PATCHED_ALTERNATIVES = {
    "accuracy-tie-counts-positive": ("train", "correct = sum(_sign(v) == y for v, y in zip(values, labels))",
                                     "correct = sum((v > 0) == (y > 0) for v, y in zip(values, labels))"),
    "accuracy-tie-counts-right": ("train", "correct = sum(_sign(v) == y for v, y in zip(values, labels))",
                                  "correct = sum(v * y >= 0 for v, y in zip(values, labels))"),
}

ALTERNATIVE_DIRS = sorted(p.name for p in ALTERNATIVES.iterdir() if p.is_dir())


def reference_copy(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for module in MODULES:
        shutil.copy(ROOT / "solutions" / f"{module}.py", folder / f"{module}.py")
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    """Every mutant and alternative, graded once, two at a time (each grade is independent)."""
    base = tmp_path_factory.mktemp("nn_train")
    folders: dict[str, Path] = {}
    for mutant in MUTANTS:
        folder = folders[mutant.name] = reference_copy(base / mutant.name)
        path = folder / f"{mutant.file}.py"
        path.write_text(path.read_text().replace(mutant.old, mutant.new))
    for name, (module, old, new) in PATCHED_ALTERNATIVES.items():
        folder = folders[f"patched:{name}"] = reference_copy(base / f"patched-{name}")
        path = folder / f"{module}.py"
        assert path.read_text().count(old) == 1, name
        path.write_text(path.read_text().replace(old, new))
    for name in ALTERNATIVE_DIRS:
        folder = folders[f"alternative:{name}"] = reference_copy(base / f"alternative-{name}")
        for file in (ALTERNATIVES / name).glob("*.py"):
            shutil.copy(file, folder / file.name)
    # The reference with bare imports, as when the three files sit in one folder and run as scripts.
    folder = folders["bare_imports"] = reference_copy(base / "bare_imports")
    for module in ("nn", "train"):
        path = folder / f"{module}.py"
        path.write_text(path.read_text().replace("from .engine import Value", "from engine import Value"))
    jobs = max(1, min(2, os.cpu_count() or 1))
    # spawn, not fork: the children must not inherit this pytest session's state.
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return dict(zip(folders, pool.map(grade, folders.values())))


def assert_full_marks(result: dict, parts: list[str], label: str) -> None:
    for part_id in parts:
        part = result["parts"][part_id]
        failed = [t for t in result["tests"] if t["part"] == part_id and t["status"] != "passed"]
        assert part["score"] == part["max_score"], f"{label}: {part_id} lost points: {failed[:1]}"


def test_mutants_are_small_and_name_catalogued_bugs():
    assert len(MUTANTS) >= 12
    for mutant in MUTANTS:
        source = (ROOT / "solutions" / f"{mutant.file}.py").read_text()
        assert source.count(mutant.old) == 1, mutant.name
        assert mutant.bug is None or mutant.bug in BUGS, mutant.name
        assert MODULE_OF[mutant.part] == mutant.file, mutant.name


def named(test: dict) -> list[str]:
    return [d["key"] for d in test.get("diagnoses", [])]


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_points_only_in_its_module_and_is_diagnosed(graded, mutant):
    result = graded[mutant.name]

    own = result["parts"][mutant.part]
    assert own["score"] < own["max_score"], f"{mutant.name} kept full marks in {mutant.part}"
    untouched = [p for p, module in MODULE_OF.items() if module != mutant.file]
    assert_full_marks(result, untouched, mutant.name)

    failed = [t for t in result["tests"] if t["part"] == mutant.part and t["status"] != "passed"]
    assert all(t["message"] and "internal grader error" not in t["message"] for t in failed), failed[:1]
    if mutant.bug is not None:
        assert any(mutant.bug in named(t) for t in failed), (
            f"{mutant.name}: no failed check in {mutant.part} names {mutant.bug}; first message: {failed[0]['message']}")
    # A diagnosis is only given when the evidence supports it: never a wrong catalogued name.
    for t in failed:
        for key in set(named(t)) & set(BUGS):
            assert key == mutant.bug, f"{mutant.name}: {t['name']} named [{key}]"


@pytest.mark.parametrize("name", ALTERNATIVE_DIRS)
def test_unusual_but_correct_alternative_scores_full_marks(graded, name):
    result = graded[f"alternative:{name}"]
    assert_full_marks(result, list(result["parts"]), name)
    assert result["score"] == result["max_score"]


@pytest.mark.parametrize("name", list(PATCHED_ALTERNATIVES))
def test_behaviour_the_contract_leaves_open_is_not_graded(graded, name):
    result = graded[f"patched:{name}"]
    assert_full_marks(result, list(result["parts"]), name)


def test_bare_imports_score_full_marks(graded):
    """``from engine import Value`` (no package) is correct code too."""
    result = graded["bare_imports"]
    assert_full_marks(result, list(result["parts"]), "bare_imports")


def test_there_are_enough_alternatives():
    assert len(ALTERNATIVE_DIRS) >= 4


@pytest.mark.parametrize("loss", ["mse_loss", "hinge_loss"])
@pytest.mark.parametrize("variant", ["correct", "no_zero_grad", "zero_after_backward", "wrong_sign"])
def test_training_oracle_is_torch_optim_sgd(loss, variant):
    """The training oracle updates by hand (torch.optim would import torch._dynamo, 0.7 s per
    cold grade); it must follow exactly the trajectory torch.optim.SGD gives."""
    import random

    import torch

    from autograder.oracles import torch_oracle_nn as oracle

    rng = random.Random(f"{loss}:{variant}")
    params = oracle.random_params(rng, [2, 4, 1])
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(6)]
    ys = [rng.choice((-1.0, 1.0)) for _ in xs]
    history, final = oracle.train(params, xs, ys, steps=5, lr=0.1, loss=loss, variant=variant)

    layers = [(torch.tensor([n[:-1] for n in layer], dtype=torch.float64, requires_grad=True),
               torch.tensor([n[-1] for n in layer], dtype=torch.float64, requires_grad=True)) for layer in params]
    optimizer = torch.optim.SGD([t for pair in layers for t in pair], lr=0.1, maximize=variant == "wrong_sign")
    inputs, targets = torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
    expected = []
    for _ in range(5):
        h = inputs
        for w, b in layers:
            h = torch.tanh(h @ w.T + b)
        predictions = h[:, 0]
        value = ((predictions - targets) ** 2).mean() if loss == "mse_loss" else torch.relu(1 - targets * predictions).mean()
        if variant not in ("no_zero_grad", "zero_after_backward"):
            optimizer.zero_grad(set_to_none=False)
        value.backward()
        if variant == "zero_after_backward":
            optimizer.zero_grad(set_to_none=False)
        optimizer.step()
        expected.append(value.item())
    flat = [v for w, b in layers for i in range(w.shape[0]) for v in [*w[i].tolist(), b[i].item()]]
    assert history == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert final == pytest.approx(flat, rel=1e-12, abs=1e-15)
