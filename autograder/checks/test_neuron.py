"""Part `neuron`: ``Neuron(nin, activation)`` on the reference engine.

``act(w . x + b)`` for every activation, its gradients, and ``parameters()``
(``w + [b]``, distinct objects), all against PyTorch float64 with the same
weights.  Weights are set through ``n.w`` and ``n.b`` by the probe.
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback import judge_nn
from micrograd_feedback.judge import show

from ..oracles import torch_oracle_nn as oracle
from .conftest import observe

# case -> (activation passed to Neuron, None: the default; activation the oracle applies;
#          sign the pre-activation must have, None: either)
CASES = {
    "tanh": ("tanh", "tanh", None),
    "relu-active": ("relu", "relu", 1),
    "relu-inactive": ("relu", "relu", -1),
    "linear": ("linear", "linear", None),
    "default-is-tanh": (None, "tanh", None),
}


def draw(rng: random.Random, sign: int | None) -> tuple[int, list[float], list[float]]:
    """nin, ``[w..., b]`` and x, with the pre-activation clear of 0.  With a ``sign``, x is positive and every
    weight and the bias have that sign: the pre-activation has it for any weights built from them (a bug that
    shares or drops some still gives a relu neuron the same regime), so each draw exercises the same behaviour."""
    nin = rng.randint(2, 5)
    if sign is not None:
        row = oracle.random_params(rng, [nin, 1], signs=[[sign]])[0][0]
        return nin, row, [rng.uniform(0.2, 2) for _ in range(nin)]
    while True:
        row = oracle.random_params(rng, [nin, 1])[0][0]
        x = [rng.uniform(-2, 2) for _ in range(nin)]
        z = sum(w * xi for w, xi in zip(row, x)) + row[-1]
        if abs(z) > 0.1:
            return nin, row, x


def ran_text(nin: int, activation: str | None, row: list[float], x: list[float], x_as: str) -> str:
    made = f"Neuron({nin})" if activation is None else f"Neuron({nin}, activation={activation!r})"
    weights = f"n.w[i].data = {show(row[:-1])}; n.b.data = {show(row[-1])}"
    return f"n = {made}; {weights}; out = n(x) with x = {x_as} {show(x)}"


def hypotheses(row: list[float], x: list[float], act: str) -> dict[str, object]:
    """What known bugs would output: the forward pass without the bias."""
    return {"bias-missing-from-forward": oracle.outputs([[row]], x, [act], use_bias=False)}


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", CASES)
def test_neuron_output(probe, rng, case):
    activation, act, sign = CASES[case]
    nin, row, x = draw(rng, sign)
    ran = ran_text(nin, activation, row, x, "numbers")
    obs = observe(probe, ran, "neuron", nin=nin, activation=activation, params=row, x=x, as_values=False)
    judge_nn.neuron_output(obs, ran, oracle.outputs([[row]], x, [act])[0], act, lambda: hypotheses(row, x, act))


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", CASES)
def test_neuron_gradients(probe, rng, case):
    activation, act, sign = CASES[case]
    nin, row, x = draw(rng, sign)
    ran = ran_text(nin, activation, row, x, "Values") + "; out.backward()"
    obs = observe(probe, ran, "neuron", nin=nin, activation=activation, params=row, x=x, as_values=True)
    truth = oracle.network([[row]], x, [act])
    judge_nn.neuron_output(obs, ran, truth.outputs[0], act, lambda: hypotheses(row, x, act))
    judge_nn.neuron_gradients(obs, ran, {"w": truth.grads[:-1], "b": truth.grads[-1:], "x": truth.x_grads},
                              lambda: hypotheses(row, x, act))


@pytest.mark.weight(3)
def test_neuron_parameters(probe, rng):
    nin = rng.randint(3, 6)
    ran = f"n = Neuron({nin}, activation='tanh'); ps = n.parameters()"
    obs = observe(probe, ran, "neuron", nin=nin, activation="tanh", params=None, x=None, as_values=False)
    judge_nn.neuron_parameters(obs, ran, nin)
