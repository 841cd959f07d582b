"""Part `layer`: ``Layer(nin, nout, activation)`` on the reference engine.

Outputs (a list of nout Values, or the Value itself when nout == 1),
gradients, and ``parameters()`` in neuron order, against PyTorch float64
with the same weights (set through ``layer.neurons[j].w`` / ``.b``).
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback import judge_nn
from micrograd_feedback.judge import show

from ..oracles import torch_oracle_nn as oracle
from .conftest import observe


def draw(rng: random.Random, nout: int, activation: str = "tanh") -> tuple[int, list, list[float], list[float]]:
    """nin, per-neuron ``[w..., b]``, x and upstream gradients.  A relu layer gets positive inputs and neurons
    alternately active and inactive in every draw (``random_params``'s signs)."""
    nin = rng.randint(2, 4)
    relu = activation == "relu"
    params = oracle.random_params(rng, [nin, nout], signs=[oracle.alternating(nout)] if relu else None)
    x = [rng.uniform(0.2, 2) if relu else rng.uniform(-2, 2) for _ in range(nin)]
    upstream = [rng.choice((-1, 1)) * rng.uniform(0.5, 2) for _ in range(nout)]
    return nin, params, x, upstream


def ran_text(nin: int, nout: int, activation: str, params: list, x: list[float]) -> str:
    rows = "; ".join(f"neurons[{j}]: w = {show(row[:-1])}, b = {show(row[-1])}" for j, row in enumerate(params[0]))
    return f"layer = Layer({nin}, {nout}, activation={activation!r}) with {rows}; out = layer(x) with x = {show(x)}"


def hypotheses(params: list, x: list[float], act: str) -> dict[str, object]:
    return {"bias-missing-from-forward": oracle.outputs(params, x, [act], use_bias=False)}


@pytest.mark.weight(2)
@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_layer_output(probe, rng, activation):
    nout = 3
    nin, params, x, upstream = draw(rng, nout, activation)
    ran = ran_text(nin, nout, activation, params, x)
    obs = observe(probe, ran, "layer", nin=nin, nout=nout, activation=activation, params=params[0], x=x,
                  as_values=False, upstream=upstream)
    judge_nn.layer_outputs(obs, ran, nout, oracle.outputs(params, x, [activation]),
                           lambda: hypotheses(params, x, activation))


@pytest.mark.weight(3)
@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_layer_single_output_is_a_value(probe, rng, activation):
    nin, params, x, upstream = draw(rng, 1, activation)
    ran = ran_text(nin, 1, activation, params, x)
    obs = observe(probe, ran, "layer", nin=nin, nout=1, activation=activation, params=params[0], x=x,
                  as_values=False, upstream=upstream)
    judge_nn.layer_outputs(obs, ran, 1, oracle.outputs(params, x, [activation]),
                           lambda: hypotheses(params, x, activation))


@pytest.mark.weight(2)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_layer_gradients(probe, rng, activation):
    nout = 3
    nin, params, x, upstream = draw(rng, nout, activation)
    ran = (ran_text(nin, nout, activation, params, x)
           + f" (Values); sum(u_j * out[j]) with u = {show(upstream)}; .backward()")
    obs = observe(probe, ran, "layer", nin=nin, nout=nout, activation=activation, params=params[0], x=x,
                  as_values=True, upstream=upstream)
    truth = oracle.network(params, x, [activation], upstream)
    judge_nn.layer_outputs(obs, ran, nout, truth.outputs, lambda: hypotheses(params, x, activation))
    judge_nn.layer_gradients(obs, ran, truth.grads, truth.x_grads, lambda: hypotheses(params, x, activation))


@pytest.mark.weight(3)
def test_layer_parameters(probe, rng):
    nin, nout = rng.randint(2, 4), rng.randint(2, 4)
    ran = f"layer = Layer({nin}, {nout}, activation='tanh'); ps = layer.parameters()"
    obs = observe(probe, ran, "layer", nin=nin, nout=nout, activation="tanh", params=None, x=None, as_values=False,
                  upstream=None)
    judge_nn.layer_parameters(obs, ran, nin, nout)
