"""Part `neuron`: ``Neuron(nin, activation)`` on the reference engine.

``act(w . x + b)`` for every activation, its gradients, and ``parameters()``
(``w + [b]``, distinct objects), all against PyTorch float64 with the same
weights.  Weights are set through ``n.w`` and ``n.b`` by the probe.
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback.diagnosis import diagnose_nn
from micrograd_feedback.judge import CheckFailure, fail, numbers_close, require, show
from micrograd_feedback.result import Diagnosis

from ..oracles import torch_oracle_nn as oracle


def observe(probe, ran: str, name: str, **args) -> dict:
    """``probe(name, **args)``; if the student's code raises, the message says what was run in words.

    Shared by the nn and train check modules (pytest collects only ``test_*``).
    """
    try:
        return probe(name, **args)
    except CheckFailure as failure:
        failure.ran = ran
        raise

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
    """nin, ``[w..., b]`` and x, with the pre-activation clear of 0 (and of the given sign)."""
    nin = rng.randint(2, 5)
    while True:
        row = oracle.random_params(rng, [nin, 1])[0][0]
        x = [rng.uniform(-2, 2) for _ in range(nin)]
        z = sum(w * xi for w, xi in zip(row, x)) + row[-1]
        if abs(z) > 0.1 and (sign is None or z * sign > 0):
            return nin, row, x


def ran_text(nin: int, activation: str | None, row: list[float], x: list[float], x_as: str) -> str:
    made = f"Neuron({nin})" if activation is None else f"Neuron({nin}, activation={activation!r})"
    weights = f"n.w[i].data = {show(row[:-1])}; n.b.data = {show(row[-1])}"
    return f"n = {made}; {weights}; out = n(x) with x = {x_as} {show(x)}"


def hypotheses(row: list[float], x: list[float], act: str) -> dict[str, object]:
    """What known bugs would output: the forward pass without the bias."""
    return {"bias-missing-from-forward": oracle.outputs([[row]], x, [act], use_bias=False)}


def single(values):
    """A one-element list shown as its element."""
    return values[0] if isinstance(values, list) and len(values) == 1 else values


def check_output(obs: dict, ran: str, expected: float, row: list[float], x: list[float], act: str) -> None:
    if not obs.get("returns_value"):
        fail(ran, "out is a Value", f"a {obs.get('type')}", diagnose_nn("forward", obs))
    if not numbers_close(obs.get("outputs"), [expected], rel=1e-9, abs_tol=1e-12):
        fail(ran, f"out.data = act(w . x + b) = {show(expected)} ({act})",
             f"out.data = {show(single(obs.get('outputs')))}",
             diagnose_nn("forward", obs, outputs_if=hypotheses(row, x, act)))


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", CASES)
def test_neuron_output(probe, rng, case):
    activation, act, sign = CASES[case]
    nin, row, x = draw(rng, sign)
    ran = ran_text(nin, activation, row, x, "numbers")
    obs = observe(probe, ran, "neuron", nin=nin, activation=activation, params=row, x=x, as_values=False)
    check_output(obs, ran, oracle.outputs([[row]], x, [act])[0], row, x, act)


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", CASES)
def test_neuron_gradients(probe, rng, case):
    activation, act, sign = CASES[case]
    nin, row, x = draw(rng, sign)
    ran = ran_text(nin, activation, row, x, "Values") + "; out.backward()"
    obs = observe(probe, ran, "neuron", nin=nin, activation=activation, params=row, x=x, as_values=True)
    truth = oracle.network([[row]], x, [act])
    check_output(obs, ran, truth.outputs[0], row, x, act)
    got = {"w": (obs.get("grads") or [])[:-1], "b": (obs.get("grads") or [None])[-1:], "x": obs.get("x_grads")}
    want = {"w": truth.grads[:-1], "b": truth.grads[-1:], "x": truth.x_grads}
    for name in ("w", "b", "x"):
        if not numbers_close(got[name], want[name], rel=1e-7, abs_tol=1e-10):
            fail(ran, f"{name}[i].grad = {show(want[name])}", f"{name}[i].grad = {show(got[name])}",
                 diagnose_nn("gradients", obs, outputs_if=hypotheses(row, x, act)))


@pytest.mark.weight(3)
def test_neuron_parameters(probe, rng):
    nin = rng.randint(3, 6)
    ran = f"n = Neuron({nin}, activation='tanh'); ps = n.parameters()"
    obs = observe(probe, ran, "neuron", nin=nin, activation="tanh", params=None, x=None, as_values=False)

    def why() -> Diagnosis | None:
        return diagnose_nn("parameters", obs)

    require(obs.get("w_lens") == [nin], ran, f"len(n.w) == {nin}", f"len(n.w) == {show(obs.get('w_lens'))}", why())
    require(obs.get("n_params") == nin + 1, ran, f"{nin + 1} parameters ({nin} weights and the bias)",
            f"{obs.get('n_params')} parameters", why())
    require(obs.get("params_are_values") is True, ran, "every parameter a Value", "something else among them", why())
    require(obs.get("n_distinct") == nin + 1, ran, f"{nin + 1} distinct Value objects",
            f"{obs.get('n_distinct')} distinct objects", why())
    require(obs.get("params_in_order") is True, ran, "ps == n.w + [n.b] (the same objects, in that order)",
            "other objects, or another order", why())
