"""The public checks' truth for nn.py and train.py: plain floats and finite differences, no PyTorch.

A network is given by its parameters, layer by layer and neuron by neuron, each
neuron ``[w_1, ..., w_nin, b]`` (as ``probes`` sets them); every function here
computes with floats only, so a self-check needs nothing the student lacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..numeric import H

Params = list[list[list[float]]]  # layer -> neuron -> [w..., b]


def act(name: str, z: float) -> float:
    return math.tanh(z) if name == "tanh" else max(z, 0.0) if name == "relu" else z


def forward(params: Params, x: list[float], activations: list[str], use_bias: bool = True) -> list[float]:
    """The network's outputs for input ``x`` (``use_bias=False``: what a network ignoring biases gives)."""
    h = list(x)
    for layer, name in zip(params, activations):
        h = [act(name, sum(w * xi for w, xi in zip(row[:-1], h)) + (row[-1] if use_bias else 0.0)) for row in layer]
    return h


def flat(params: Params) -> list[float]:
    return [v for layer in params for row in layer for v in row]


def unflat(values: list[float], like: Params) -> Params:
    out, i = [], 0
    for layer in like:
        rows = []
        for row in layer:
            rows.append(values[i : i + len(row)])
            i += len(row)
        out.append(rows)
    return out


def derivative(f: Callable[[list[float]], float], at: list[float]) -> list[float]:
    """Central finite differences of ``f`` at every coordinate of ``at``."""
    grads = []
    for i in range(len(at)):
        up, down = list(at), list(at)
        up[i] += H
        down[i] -= H
        grads.append((f(up) - f(down)) / (2 * H))
    return grads


def weighted_output(params: Params, x: list[float], activations: list[str], upstream: list[float]) -> float:
    return sum(u * o for u, o in zip(upstream, forward(params, x, activations)))


def parameter_gradients(params: Params, x: list[float], activations: list[str], upstream: list[float]) -> list[float]:
    """d sum(upstream_j * out_j) / d every parameter, in ``flat`` order."""
    return derivative(lambda p: weighted_output(unflat(p, params), x, activations, upstream), flat(params))


def input_gradients(params: Params, x: list[float], activations: list[str], upstream: list[float]) -> list[float]:
    return derivative(lambda xs: weighted_output(params, xs, activations, upstream), list(x))


def mse(predictions: list[float], targets: list[float], mean: bool = True) -> float:
    total = sum((p - t) ** 2 for p, t in zip(predictions, targets))
    return total / len(predictions) if mean else total


def hinge(scores: list[float], labels: list[float]) -> float:
    return sum(max(0.0, 1 - y * s) for s, y in zip(scores, labels)) / len(scores)


def train(params: Params, xs: list[list[float]], ys: list[float], steps: int, lr: float,
          variant: str = "correct") -> list[float]:
    """The loss history of the contract's loop (mse, tanh network); ``variant`` replays a known wrong loop:
    "no_zero_grad" (gradients pile up), "zero_after_backward" (updates with zero), "wrong_sign"."""
    activations = ["tanh"] * len(params)
    values, like = flat(params), params
    history, pile = [], [0.0] * len(values)

    def loss(p: list[float]) -> float:
        return mse([forward(unflat(p, like), x, activations)[0] for x in xs], ys)

    for _ in range(steps):
        history.append(loss(values))
        grads = derivative(loss, values)
        if variant == "no_zero_grad":
            pile = [a + g for a, g in zip(pile, grads)]
            grads = pile
        elif variant == "zero_after_backward":
            grads = [0.0] * len(values)
        sign = 1.0 if variant == "wrong_sign" else -1.0
        values = [v + sign * lr * g for v, g in zip(values, grads)]
    return history
