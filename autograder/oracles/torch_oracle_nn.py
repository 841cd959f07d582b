"""PyTorch float64 oracles for nn.py and train.py (trusted side only, never in the worker).

A network is described the way the nn probes set it: per layer, per neuron,
``[w_1, ..., w_nin, b]``.  Everything here is computed by PyTorch from those
numbers alone, so the answers do not depend on any student object.  torch is
imported on first use: an engine-only grading run never pays for it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from .remote import answered_remotely

Params = list[list[list[float]]]  # layer -> neuron -> [w..., b]
Variant = Literal["correct", "no_zero_grad", "zero_after_backward", "wrong_sign"]


def _torch():
    import torch  # lazy: importing torch takes seconds

    return torch


def _activate(torch, name: str, z):
    if name == "tanh":
        return torch.tanh(z)
    if name == "relu":
        return torch.relu(z)  # derivative 0 at exactly 0, as the contract asks
    if name == "linear":
        return z
    raise ValueError(f"unknown activation {name!r}")


def _tensors(torch, params: Params, use_bias: bool = True) -> list[tuple]:
    """(W, b) leaf tensors per layer, W of shape (nout, nin)."""
    layers = []
    for layer in params:
        weights = torch.tensor([row[:-1] for row in layer], dtype=torch.float64, requires_grad=True)
        biases = torch.tensor([row[-1] if use_bias else 0.0 for row in layer], dtype=torch.float64,
                              requires_grad=True)
        layers.append((weights, biases))
    return layers


def _forward(torch, layers: list[tuple], x, activations: list[str]):
    for (weights, biases), act in zip(layers, activations):
        x = _activate(torch, act, x @ weights.T + biases)
    return x


def _flat(layers: list[tuple], grads: bool) -> list[float]:
    """Parameters (or their gradients) in neuron order, ``w..., b`` per neuron."""
    out: list[float] = []
    for weights, biases in layers:
        w = weights.grad if grads else weights
        b = biases.grad if grads else biases
        for i in range(w.shape[0]):
            out.extend(float(v) for v in w[i].tolist())
            out.append(float(b[i].detach()))
    return out


@dataclass
class NetworkResult:
    outputs: list[float]
    grads: list[float]  # every parameter, neuron order
    x_grads: list[float]


@answered_remotely
def network(params: Params, x: list[float], activations: list[str], upstream: list[float] | None = None,
            use_bias: bool = True) -> NetworkResult:
    """Outputs of the network, and gradients of ``sum(upstream_i * out_i)``.

    ``use_bias=False`` computes the network a forward pass without biases
    would (a diagnosis hypothesis); bias gradients are then still reported.
    """
    torch = _torch()
    layers = _tensors(torch, params, use_bias)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = _forward(torch, layers, xt, activations)
    up = torch.tensor(upstream if upstream is not None else [1.0] * out.shape[0], dtype=torch.float64)
    (out * up).sum().backward()
    return NetworkResult([float(v) for v in out.tolist()], _flat(layers, grads=True),
                         [float(v) for v in xt.grad.tolist()])


def outputs(params: Params, x: list[float], activations: list[str], use_bias: bool = True) -> list[float]:
    return network(params, x, activations, use_bias=use_bias).outputs


# -- losses ------------------------------------------------------------------------
def _with_grads(fn, scores: list[float], *args) -> tuple[float, list[float]]:
    torch = _torch()
    s = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    value = fn(torch, s, *args)
    value.backward()
    return float(value.detach()), [float(g) for g in s.grad.tolist()]


@answered_remotely
def mse(predictions: list[float], targets: list[float], reduction: str = "mean") -> tuple[float, list[float]]:
    """MSE (the mean; ``reduction="sum"`` is the diagnosis hypothesis) and d/d predictions."""
    return _with_grads(
        lambda torch, p: torch.nn.functional.mse_loss(p, torch.tensor(targets, dtype=torch.float64),
                                                      reduction=reduction),
        predictions,
    )


@answered_remotely
def hinge(scores: list[float], labels: list[float]) -> tuple[float, list[float]]:
    """Mean of relu(1 - y*s) and d/d scores."""
    return _with_grads(
        lambda torch, s: torch.relu(1 - torch.tensor(labels, dtype=torch.float64) * s).mean(), scores
    )


@answered_remotely
def l2(parameters: list[float], alpha: float) -> tuple[float, list[float]]:
    """alpha * sum(p**2) and d/d parameters."""
    return _with_grads(lambda torch, p: alpha * (p * p).sum(), parameters)


# -- training ------------------------------------------------------------------------
@answered_remotely
def train(params: Params, xs: list[list[float]], ys: list[float], steps: int, lr: float, loss: str = "mse_loss",
          variant: Variant = "correct") -> tuple[list[float], list[float]]:
    """A torch replica of ``train()`` on a tanh MLP with one output; (loss history, final parameters).

    ``variant`` replays a known wrong loop instead (diagnosis hypotheses):
    gradients never zeroed, zeroed between backward and update, or the update
    going uphill.
    """
    torch = _torch()
    layers = _tensors(torch, params)
    parameters = [t for pair in layers for t in pair]
    inputs = torch.tensor(xs, dtype=torch.float64)
    targets = torch.tensor(ys, dtype=torch.float64)
    activations = ["tanh"] * len(layers)
    direction = 1.0 if variant == "wrong_sign" else -1.0
    history = []
    for _ in range(steps):
        predictions = _forward(torch, layers, inputs, activations)[:, 0]
        if loss == "mse_loss":
            value = ((predictions - targets) ** 2).mean()
        elif loss == "hinge_loss":
            value = torch.relu(1 - targets * predictions).mean()
        else:
            raise ValueError(f"unknown loss {loss!r}")
        if variant not in ("no_zero_grad", "zero_after_backward"):
            _zero_grad(parameters)
        value.backward()
        if variant == "zero_after_backward":
            _zero_grad(parameters)
        with torch.no_grad():  # plain SGD, what torch.optim.SGD(lr) does (tests/ pin the equality)
            for p in parameters:
                p.add_(p.grad, alpha=direction * lr)
        history.append(float(value.detach()))
    return history, _flat(layers, grads=False)


def _zero_grad(parameters) -> None:
    # Not torch.optim: its first step imports torch._dynamo, 0.7 s of every cold grade.
    for p in parameters:
        if p.grad is not None:
            p.grad.zero_()


# -- inputs ------------------------------------------------------------------------
def random_params(rng, sizes: list[int], min_bias: float = 0.3, signs: list[list[int | None]] | None = None
                  ) -> Params:
    """Weights in [-1, 1] and biases with ``min_bias <= |b| <= 1`` (so a missing bias shows).

    ``signs`` (per layer, per neuron: +1, -1 or None) fixes the sign of a neuron's every weight and its bias:
    with non-negative inputs its pre-activation then has that sign whatever values are drawn (and whatever
    a buggy network does with them), so a relu neuron is active, or inactive, in every draw."""
    layers = []
    for index, (nin, nout) in enumerate(itertools.pairwise(sizes)):
        rows = []
        for j in range(nout):
            sign = signs[index][j] if signs else None
            if sign is None:
                rows.append([rng.uniform(-1, 1) for _ in range(nin)] + [rng.choice((-1, 1)) * rng.uniform(min_bias, 1)])
            else:
                rows.append([sign * rng.uniform(0.2, 1) for _ in range(nin)] + [sign * rng.uniform(min_bias, 1)])
        layers.append(rows)
    return layers


def alternating(n: int) -> list[int | None]:
    """+1, -1, +1, ...: half of a relu layer's neurons active, half inactive."""
    return [1 if j % 2 == 0 else -1 for j in range(n)]
