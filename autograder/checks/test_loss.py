"""Part `loss`: ``mse_loss``, ``hinge_loss`` and ``l2_regularization`` on the reference engine.

Value and gradient to every input against PyTorch float64 formulas: MSE is
the MEAN of (p - t)**2, hinge the mean of relu(1 - y*s), l2 ``alpha * sum p**2``.
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback import judge_nn
from micrograd_feedback.judge import show

from ..oracles import torch_oracle_nn as oracle
from .conftest import observe


def mse_case(rng: random.Random, n: int) -> tuple[list[float], list[float]]:
    predictions = [rng.uniform(-2, 2) for _ in range(n)]
    targets = [rng.choice((-1.0, 1.0)) * rng.uniform(0, 1.5) for _ in range(n)]
    return predictions, targets


def hinge_case(rng: random.Random, n: int) -> tuple[list[float], list[float]]:
    """Scores clear of the kink (y*s == 1); at least one margin met and one violated."""
    labels = [rng.choice((-1.0, 1.0)) for _ in range(n)]
    scores = []
    for i, y in enumerate(labels):
        margin = rng.uniform(1.2, 2.5) if i == 0 else rng.uniform(-1.5, 0.8) if i == 1 else rng.choice(
            (rng.uniform(-1.5, 0.8), rng.uniform(1.2, 2.5)))
        scores.append(margin * y)  # y*s == margin
    return scores, labels


@pytest.mark.weight(2)
@pytest.mark.parametrize("n", [3, 5])
def test_mse_loss_value(probe, rng, n):
    predictions, targets = mse_case(rng, n)
    ran = f"mse_loss(predictions, targets) with predictions = Values {show(predictions)}, targets = {show(targets)}"
    obs = observe(probe, ran, "loss", fn="mse_loss", scores=predictions, labels=targets)
    value, grads = oracle.mse(predictions, targets)
    judge_nn.loss(obs, ran, value, None, lambda: {"mse-sum": oracle.mse(predictions, targets, "sum")[0]})


@pytest.mark.weight(2)
@pytest.mark.parametrize("n", [4])
def test_mse_loss_gradients(probe, rng, n):
    predictions, targets = mse_case(rng, n)
    ran = f"mse_loss(predictions, targets) with predictions = Values {show(predictions)}, targets = {show(targets)}"
    obs = observe(probe, ran, "loss", fn="mse_loss", scores=predictions, labels=targets)
    value, grads = oracle.mse(predictions, targets)
    judge_nn.loss(obs, ran, value, grads, lambda: {"mse-sum": oracle.mse(predictions, targets, "sum")[0]})


@pytest.mark.weight(2)
@pytest.mark.parametrize("n", [4, 6])
def test_hinge_loss(probe, rng, n):
    scores, labels = hinge_case(rng, n)
    ran = f"hinge_loss(scores, labels) with scores = Values {show(scores)}, labels = {show(labels)}"
    obs = observe(probe, ran, "loss", fn="hinge_loss", scores=scores, labels=labels)
    value, grads = oracle.hinge(scores, labels)
    judge_nn.loss(obs, ran, value, grads)


@pytest.mark.weight(2)
@pytest.mark.parametrize("n", [3, 5])
def test_l2_regularization(probe, rng, n):
    parameters = [rng.uniform(-2, 2) for _ in range(n)]
    alpha = rng.uniform(0.01, 0.5)
    ran = f"l2_regularization(parameters, alpha={alpha:.6g}) with parameters = Values {show(parameters)}"
    obs = observe(probe, ran, "loss", fn="l2_regularization", scores=parameters, labels=None, extra=alpha)
    value, grads = oracle.l2(parameters, alpha)
    judge_nn.loss(obs, ran, value, grads)
