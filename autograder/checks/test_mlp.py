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

from micrograd_feedback.diagnosis import diagnose_nn
from micrograd_feedback.judge import fail, numbers_close, require, show
from micrograd_feedback.result import Diagnosis

from ..oracles import torch_oracle_nn as oracle
from .test_neuron import observe

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


def draw(rng: random.Random, nin: int, nouts: list[int]) -> tuple[list, list[float], list[float]]:
    params = oracle.random_params(rng, [nin, *nouts])
    x = [rng.uniform(-2, 2) for _ in range(nin)]
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


def expected_shape(nin: int, nouts: list[int]) -> list[list[int]]:
    sizes = [nin, *nouts]
    return [[sizes[i]] * sizes[i + 1] for i in range(len(nouts))]


def shape_hypotheses(nin: int, nouts: list[int]) -> dict[str, object]:
    return {"mlp-last-layer": expected_shape(nin, nouts)[:-1]}


def check_outputs(obs: dict, ran: str, config: str, expected: list[float], params: list, x: list[float]) -> None:
    nin, nouts, *_ = CONFIGS[config]
    if not numbers_close(obs.get("outputs"), expected, rel=1e-9, abs_tol=1e-12):
        fail(ran, f"outputs {show(expected)}", f"outputs {show(obs.get('outputs'))} (a {obs.get('type')})",
             diagnose_nn("forward", obs, outputs_if=hypotheses(config, params, x),
                         shape_if=shape_hypotheses(nin, nouts)))


@pytest.mark.weight(2)
@pytest.mark.parametrize("config", CONFIGS)
def test_mlp_output(probe, rng, config):
    nin, nouts, activation, output_activation = CONFIGS[config]
    params, x, upstream = draw(rng, nin, nouts)
    ran = ran_text(config, x)
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation=activation, output_activation=output_activation,
                  params=params, x=x, as_values=False, upstream=upstream)
    expected = oracle.outputs(params, x, activations(nouts, activation, output_activation))
    check_outputs(obs, ran, config, expected, params, x)


@pytest.mark.weight(2)
@pytest.mark.parametrize("config", CONFIGS)
def test_mlp_gradients(probe, rng, config):
    nin, nouts, activation, output_activation = CONFIGS[config]
    params, x, upstream = draw(rng, nin, nouts)
    ran = ran_text(config, x) + f"; sum(u_j * out[j]) with u = {show(upstream)}; .backward()"
    # x as numbers, as training feeds it: an MLP may wrap its input in Values itself.
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation=activation, output_activation=output_activation,
                  params=params, x=x, as_values=False, upstream=upstream)
    truth = oracle.network(params, x, activations(nouts, activation, output_activation), upstream)
    check_outputs(obs, ran, config, truth.outputs, params, x)
    if not numbers_close(obs.get("grads"), truth.grads, rel=1e-7, abs_tol=1e-10):
        fail(ran, f"parameter gradients (layer by layer, neuron by neuron, w then b) {show(truth.grads)}",
             show(obs.get("grads")), diagnose_nn("gradients", obs, outputs_if=hypotheses(config, params, x)))


@pytest.mark.weight(2)
@pytest.mark.parametrize("nin, nouts", [(3, [4, 4, 1]), (2, [5, 3])], ids=["3-4-4-1", "2-5-3"])
def test_mlp_layer_sizes(probe, nin, nouts):
    ran = f"model = MLP({nin}, {nouts}); the weights of each neuron of each layer"
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation="tanh", output_activation=None, params=None,
                  x=None, as_values=False, upstream=None)
    expected = expected_shape(nin, nouts)
    require(obs.get("shape") == expected, ran,
            f"layers of sizes {nouts}, layer i reading sizes[i] inputs (weights per neuron, per layer: {expected})",
            f"weights per neuron, per layer: {obs.get('shape')}",
            diagnose_nn("shape", obs, shape_if=shape_hypotheses(nin, nouts)))


@pytest.mark.weight(3)
@pytest.mark.parametrize("nin, nouts", [(3, [4, 4, 1]), (2, [3, 2])], ids=["3-4-4-1", "2-3-2"])
def test_mlp_parameters(probe, nin, nouts):
    ran = f"model = MLP({nin}, {nouts}); ps = model.parameters()"
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation="tanh", output_activation=None, params=None,
                  x=None, as_values=False, upstream=None)
    sizes = [nin, *nouts]
    count = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))  # MLP(3, [4, 4, 1]): 41

    def why() -> Diagnosis | None:
        return diagnose_nn("parameters", obs, shape_if=shape_hypotheses(nin, nouts))

    require(obs.get("n_params") == count, ran, f"{count} parameters", f"{obs.get('n_params')}", why())
    require(obs.get("params_are_values") is True, ran, "every parameter a Value", "something else among them", why())
    require(obs.get("n_distinct") == count, ran, f"{count} distinct Value objects", f"{obs.get('n_distinct')}", why())
    require(obs.get("params_in_order") is True, ran,
            "the layers' parameters in layer order (each layer's in neuron order, w..., b)",
            "other objects, or another order", why())


@pytest.mark.weight(4)
@pytest.mark.parametrize("nin, nouts", [(3, [4, 4, 1]), (2, [3, 2])], ids=["3-4-4-1", "2-3-2"])
def test_mlp_zero_grad(probe, rng, nin, nouts):
    sizes = [nin, *nouts]
    count = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))
    grads = [rng.choice((-1, 1)) * rng.uniform(0.1, 2) for _ in range(count)]
    ran = (f"model = MLP({nin}, {nouts}); every weight's and bias's .grad set to a non-zero number; "
           "model.zero_grad()")
    obs = observe(probe, ran, "mlp", nin=nin, nouts=nouts, activation="tanh", output_activation=None, params=None,
                  x=None, as_values=False, upstream=None, grads=grads)
    after = obs.get("grads_after_zero_grad")
    if not isinstance(after, list) or len(after) != count:
        fail(ran, f"the gradients of the {count} parameters", f"{show(after)}", diagnose_nn("shape", obs))
        return
    nonzero = [i for i, g in enumerate(after) if g != 0]
    if nonzero:
        fail(ran, f"all {count} gradients 0", f"{len(nonzero)} not 0, e.g. {show(after[nonzero[0]])} "
             f"(parameter #{nonzero[0]}, counting layer by layer, w then b)", diagnose_nn("zero_grad", obs))
