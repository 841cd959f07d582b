"""Part `mlp`: ``MLP(nin, nouts, activation, output_activation)``, ``parameters`` and ``zero_grad``.

Layer sizes, the parameter list (``MLP(3, [4, 4, 1])`` has 41, distinct, in
layer order), the forward pass and the gradient of every parameter against a
PyTorch float64 model with the same weights, and ``zero_grad``.  The output is
compared flattened (a lone Value or a list) so that a Layer bug costs the
layer part, not this one.
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback import judge_nn
from micrograd_feedback.judge import show

from ..oracles import torch_oracle_nn as oracle
from .conftest import observe

ACTIVATIONS = ("tanh", "relu", "linear")

# name -> (nin, nouts, activation, output_activation)
CONFIGS = {
    "3-4-4-1 tanh": (3, [4, 4, 1], "tanh", None),
    "2-3-2 relu, linear out": (2, [3, 2], "relu", "linear"),
    "3-4-3-2 tanh, linear out": (3, [4, 3, 2], "tanh", "linear"),
    "2-4-1 linear, tanh out": (2, [4, 1], "linear", "tanh"),
}


def activations(nouts: list[int], activation: str, output_activation: str | None) -> list[str]:
    return [activation] * (len(nouts) - 1) + [output_activation or activation]


def draw(rng: random.Random, nin: int, nouts: list[int], acts: list[str] | None = None
         ) -> tuple[list, list[float], list[float]]:
    """Weights, x and upstream gradients.  A network with relu layers gets positive inputs, and every layer
    fed non-negative inputs (the first, or one after a relu) neurons alternately positive and negative:
    each relu has active and inactive neurons in every draw, and a layer after one outputs both signs, so a
    mis-activated layer shows whatever the values drawn."""
    relu = acts is not None and "relu" in acts
    signs: list[list[int | None]] | None = None
    if relu:
        assert acts is not None
        fed_non_negative = [True] + [a == "relu" for a in acts[:-1]]
        signs = [oracle.alternating(n) if ok else [None] * n for n, ok in zip(nouts, fed_non_negative)]
    params = oracle.random_params(rng, [nin, *nouts], signs=signs)
    x = [rng.uniform(0.2, 2) if relu else rng.uniform(-2, 2) for _ in range(nin)]
    upstream = [rng.choice((-1, 1)) * rng.uniform(0.5, 2) for _ in range(nouts[-1])]
    return params, x, upstream


def ran_text(config: str, x: list[float]) -> str:
    nin, nouts, activation, output_activation = CONFIGS[config]
    extra = f", output_activation={output_activation!r}" if output_activation else ""
    return (f"model = MLP({nin}, {nouts}, activation={activation!r}{extra}) with the grader's weights "
            f"(set through model.layers[i].neurons[j].w / .b); out = model(x) with x = {show(x)}")


def hypotheses(config: str, params: list, x: list[float]) -> dict[str, object]:
    """Outputs of known wrong MLPs: the last layer dropped or mis-activated, or no biases."""
    _, nouts, activation, output_activation = CONFIGS[config]
    right = activations(nouts, activation, output_activation)
    wrong_last = []
    for hidden in {activation, right[-1]}:
        for last in ACTIVATIONS:
            acts = [hidden] * (len(nouts) - 1) + [last]
            if acts != right:
                wrong_last.append(oracle.outputs(params, x, acts))
    if len(nouts) > 1:  # the last layer missing: the one before it ends the model
        for last in {activation, right[-1]}:
            wrong_last.append(oracle.outputs(params[:-1], x, [activation] * (len(nouts) - 2) + [last]))
    return {"mlp-last-layer": tuple(wrong_last),
            "bias-missing-from-forward": oracle.outputs(params, x, right, use_bias=False)}


@pytest.mark.weight(2)
@pytest.mark.parametrize("config", CONFIGS)
def test_mlp_output(probe, rng, config):
    nin, nouts, activation, output_activation = CONFIGS[config]
    params, x, upstream = draw(rng, nin, nouts, activations(nouts, activation, output_activation))
    ran = ran_text(config, x)
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation=activation, output_activation=output_activation,
                  params=params, x=x, as_values=False, upstream=upstream)
    expected = oracle.outputs(params, x, activations(nouts, activation, output_activation))
    judge_nn.mlp_outputs(obs, ran, nin, nouts, expected, lambda: hypotheses(config, params, x))


@pytest.mark.weight(2)
@pytest.mark.parametrize("config", CONFIGS)
def test_mlp_gradients(probe, rng, config):
    nin, nouts, activation, output_activation = CONFIGS[config]
    params, x, upstream = draw(rng, nin, nouts, activations(nouts, activation, output_activation))
    ran = ran_text(config, x) + f"; sum(u_j * out[j]) with u = {show(upstream)}; .backward()"
    # x as numbers, as training feeds it: an MLP may wrap its input in Values itself.
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation=activation, output_activation=output_activation,
                  params=params, x=x, as_values=False, upstream=upstream)
    truth = oracle.network(params, x, activations(nouts, activation, output_activation), upstream)
    judge_nn.mlp_outputs(obs, ran, nin, nouts, truth.outputs, lambda: hypotheses(config, params, x))
    judge_nn.mlp_gradients(obs, ran, truth.grads, lambda: hypotheses(config, params, x))


@pytest.mark.weight(2)
@pytest.mark.parametrize("nin, nouts", [(3, [4, 4, 1]), (2, [5, 3])], ids=["3-4-4-1", "2-5-3"])
def test_mlp_layer_sizes(probe, nin, nouts):
    ran = f"model = MLP({nin}, {nouts}); the weights of each neuron of each layer"
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation="tanh", output_activation=None, params=None,
                  x=None, as_values=False, upstream=None)
    judge_nn.mlp_shape(obs, ran, nin, nouts)


@pytest.mark.weight(3)
@pytest.mark.parametrize("nin, nouts", [(3, [4, 4, 1]), (2, [3, 2])], ids=["3-4-4-1", "2-3-2"])
def test_mlp_parameters(probe, nin, nouts):
    ran = f"model = MLP({nin}, {nouts}); ps = model.parameters()"
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation="tanh", output_activation=None, params=None,
                  x=None, as_values=False, upstream=None)
    judge_nn.mlp_parameters(obs, ran, nin, nouts)


@pytest.mark.weight(4)
@pytest.mark.parametrize("nin, nouts", [(3, [4, 4, 1]), (2, [3, 2])], ids=["3-4-4-1", "2-3-2"])
def test_mlp_zero_grad(probe, rng, nin, nouts):
    count = judge_nn.parameter_count(nin, nouts)
    grads = [rng.choice((-1, 1)) * rng.uniform(0.1, 2) for _ in range(count)]
    ran = (f"model = MLP({nin}, {nouts}); every weight's and bias's .grad set to a non-zero number; "
           "model.zero_grad()")
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation="tanh", output_activation=None, params=None,
                  x=None, as_values=False, upstream=None, grads=grads)
    judge_nn.mlp_zero_grad(obs, ran, count)
