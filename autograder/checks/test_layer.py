"""Part `layer`: ``Layer(nin, nout, activation)`` on the reference engine.

Outputs (a list of nout Values, or the Value itself when nout == 1),
gradients, and ``parameters()`` in neuron order, against PyTorch float64
with the same weights (set through ``layer.neurons[j].w`` / ``.b``).
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback.diagnosis import diagnose_nn
from micrograd_feedback.judge import fail, numbers_close, require, show
from micrograd_feedback.result import Diagnosis

from ..oracles import torch_oracle_nn as oracle
from .test_neuron import observe


def draw(rng: random.Random, nout: int) -> tuple[int, list, list[float], list[float]]:
    """nin, per-neuron ``[w..., b]``, x and upstream gradients."""
    nin = rng.randint(2, 4)
    params = oracle.random_params(rng, [nin, nout])
    x = [rng.uniform(-2, 2) for _ in range(nin)]
    upstream = [rng.choice((-1, 1)) * rng.uniform(0.5, 2) for _ in range(nout)]
    return nin, params, x, upstream


def ran_text(nin: int, nout: int, activation: str, params: list, x: list[float]) -> str:
    rows = "; ".join(f"neurons[{j}]: w = {show(row[:-1])}, b = {show(row[-1])}" for j, row in enumerate(params[0]))
    return f"layer = Layer({nin}, {nout}, activation={activation!r}) with {rows}; out = layer(x) with x = {show(x)}"


def hypotheses(params: list, x: list[float], act: str) -> dict[str, object]:
    return {"bias-missing-from-forward": oracle.outputs(params, x, [act], use_bias=False)}


def check_outputs(obs: dict, ran: str, nout: int, expected: list[float], params: list, x: list[float],
                  act: str) -> None:
    if nout == 1:
        require(obs.get("returns_value") is True, ran,
                "out is a Value (a Layer with one neuron returns its output itself)",
                f"a {obs.get('type')} of {obs.get('n_outputs')}", diagnose_nn("single_output", obs))
    else:
        require(obs.get("returns_sequence") is True and obs.get("n_outputs") == nout, ran,
                f"a list of {nout} Values", f"a {obs.get('type')} of {obs.get('n_outputs')}",
                diagnose_nn("forward", obs))
    if not numbers_close(obs.get("outputs"), expected, rel=1e-9, abs_tol=1e-12):
        fail(ran, f"outputs {show(expected)}", f"outputs {show(obs.get('outputs'))}",
             diagnose_nn("forward", obs, outputs_if=hypotheses(params, x, act)))


@pytest.mark.weight(2)
@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_layer_output(probe, rng, activation):
    nout = 3
    nin, params, x, upstream = draw(rng, nout)
    ran = ran_text(nin, nout, activation, params, x)
    obs = observe(probe, ran, "layer", nin=nin, nout=nout, activation=activation, params=params[0], x=x,
                  as_values=False, upstream=upstream)
    check_outputs(obs, ran, nout, oracle.outputs(params, x, [activation]), params, x, activation)


@pytest.mark.weight(3)
@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_layer_single_output_is_a_value(probe, rng, activation):
    nin, params, x, upstream = draw(rng, 1)
    ran = ran_text(nin, 1, activation, params, x)
    obs = observe(probe, ran, "layer", nin=nin, nout=1, activation=activation, params=params[0], x=x,
                  as_values=False, upstream=upstream)
    check_outputs(obs, ran, 1, oracle.outputs(params, x, [activation]), params, x, activation)


@pytest.mark.weight(2)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_layer_gradients(probe, rng, activation):
    nout = 3
    nin, params, x, upstream = draw(rng, nout)
    ran = (ran_text(nin, nout, activation, params, x)
           + f" (Values); sum(u_j * out[j]) with u = {show(upstream)}; .backward()")
    obs = observe(probe, ran, "layer", nin=nin, nout=nout, activation=activation, params=params[0], x=x,
                  as_values=True, upstream=upstream)
    truth = oracle.network(params, x, [activation], upstream)
    check_outputs(obs, ran, nout, truth.outputs, params, x, activation)
    for name, got, want in (("parameter", obs.get("grads"), truth.grads), ("x", obs.get("x_grads"), truth.x_grads)):
        if not numbers_close(got, want, rel=1e-7, abs_tol=1e-10):
            fail(ran, f"{name} gradients (neuron by neuron, w then b) {show(want)}", f"{show(got)}",
                 diagnose_nn("gradients", obs, outputs_if=hypotheses(params, x, activation)))


@pytest.mark.weight(3)
def test_layer_parameters(probe, rng):
    nin, nout = rng.randint(2, 4), rng.randint(2, 4)
    ran = f"layer = Layer({nin}, {nout}, activation='tanh'); ps = layer.parameters()"
    obs = observe(probe, ran, "layer", nin=nin, nout=nout, activation="tanh", params=None, x=None, as_values=False,
                  upstream=None)
    count = nout * (nin + 1)

    def why() -> Diagnosis | None:
        return diagnose_nn("parameters", obs)

    require(obs.get("n_neurons") == nout and obs.get("w_lens") == [nin] * nout, ran,
            f"{nout} neurons with {nin} weights each", f"weights per neuron: {show(obs.get('w_lens'))}", why())
    require(obs.get("n_params") == count, ran, f"{count} parameters", f"{obs.get('n_params')}", why())
    require(obs.get("params_are_values") is True, ran, "every parameter a Value", "something else among them", why())
    require(obs.get("n_distinct") == count, ran, f"{count} distinct Value objects", f"{obs.get('n_distinct')}", why())
    require(obs.get("params_in_order") is True, ran, "the neurons' parameters (w..., b), neuron after neuron",
            "other objects, or another order", why())
