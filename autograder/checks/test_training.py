"""Part `training`: ``sgd_step``, ``train`` and ``accuracy`` on the reference engine and nn.

``train()`` runs on a reference MLP with the grader's weights and the
reference loss passed explicitly; its loss history and final weights must
equal a PyTorch replica (autograd gradients, the SGD update) to 1e-9 relative.  Only an
exact trajectory shows a loop that forgets ``zero_grad``: it still trains.
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback import judge_nn
from micrograd_feedback.judge import show

from ..oracles import torch_oracle_nn as oracle
from .conftest import observe

# BUGS key -> the replica's variant that reproduces it
WRONG_LOOPS: dict[str, oracle.Variant] = {
    "train-no-zero-grad": "no_zero_grad",
    "train-zero-after-backward": "zero_after_backward",
    "sgd-wrong-sign": "wrong_sign",
}


@pytest.mark.weight(3)
def test_sgd_step(probe, rng):
    n = 5
    data = [rng.uniform(-2, 2) for _ in range(n)]
    grads = [rng.uniform(-3, 3) for _ in range(n)]
    lr = rng.uniform(0.01, 0.5)
    ran = f"sgd_step(ps, lr={lr:.6g}) with p.data = {show(data)}, p.grad = {show(grads)}"
    obs = observe(probe, ran, "sgd_step", data=data, grads=grads, lr=lr)
    judge_nn.sgd_step(obs, ran, data, grads, lr)


def train_case(rng: random.Random) -> dict:
    nin, nouts = 2, [3, 1]
    n = 4
    return {
        "nin": nin, "nouts": nouts,
        "params": oracle.random_params(rng, [nin, *nouts], min_bias=0.0),
        "xs": [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)],
        "ys": [rng.choice((-1.0, 1.0)) for _ in range(n)],
        "steps": 4,
        "lr": rng.uniform(0.05, 0.2),
    }


def run_train(probe, case: dict, loss: str) -> tuple[dict, str]:
    xs = "[" + ", ".join(show(x) for x in case["xs"]) + "]"
    ran = (f"train(model, xs, ys, steps={case['steps']}, lr={case['lr']:.6g}, loss_fn={loss}) with "
           f"model = MLP({case['nin']}, {case['nouts']}) (the reference's, with the grader's weights), "
           f"xs = {xs}, ys = {show(case['ys'])}")
    return observe(probe, ran, "train", loss=loss, **case), ran


def wrong_loops(case: dict, loss: str, final: bool) -> dict[str, object]:
    """What each known wrong loop gives (its loss history, or its final weights)."""
    pick = 1 if final else 0
    args = (case["params"], case["xs"], case["ys"], case["steps"], case["lr"], loss)
    return {bug: oracle.train(*args, variant=variant)[pick] for bug, variant in WRONG_LOOPS.items()}


@pytest.mark.weight(4)
@pytest.mark.parametrize("loss", ["mse_loss", "hinge_loss"])
def test_train_loss_history(probe, rng, loss):
    case = train_case(rng)
    obs, ran = run_train(probe, case, loss)
    history, _ = oracle.train(case["params"], case["xs"], case["ys"], case["steps"], case["lr"], loss)
    judge_nn.train_history(obs, ran, case["steps"], history, lambda: wrong_loops(case, loss, final=False))


@pytest.mark.weight(2)
def test_train_final_weights(probe, rng):
    case = train_case(rng)
    obs, ran = run_train(probe, case, "mse_loss")
    _, final = oracle.train(case["params"], case["xs"], case["ys"], case["steps"], case["lr"], "mse_loss")
    judge_nn.train_final(obs, ran, case["steps"], final, lambda: wrong_loops(case, "mse_loss", final=True))


def accuracy_case(rng: random.Random, n: int) -> tuple[list[float], list[float], float]:
    """Scores (never exactly 0: the contract leaves a tie open, so it is not graded), labels,
    and the right accuracy."""
    scores = [rng.choice((-1, 1)) * rng.uniform(0.01, 2) for _ in range(n)]
    labels = [rng.choice((-1.0, 1.0)) for _ in range(n)]
    right = sum(1 for s, y in zip(scores, labels) if (s > 0 and y == 1) or (s < 0 and y == -1))
    return scores, labels, right / n


@pytest.mark.weight(2)
@pytest.mark.parametrize("kind", ["Values", "floats"])
def test_accuracy(probe, rng, kind):
    scores, labels, expected = accuracy_case(rng, 8)
    ran = f"accuracy(scores, labels) with scores = {kind} {show(scores)}, labels = {show(labels)}"
    obs = observe(probe, ran, "accuracy", scores=scores, labels=labels, as_values=kind == "Values")
    judge_nn.accuracy(obs, ran, expected)
