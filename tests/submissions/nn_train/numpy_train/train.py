"""Correct train.py using numpy for accuracy, an absolute engine import, a
loop that zeroes after the update (gradients start at zero), reduce-based
losses and a numpy float result."""

from functools import reduce

import numpy as np

from micrograd_skeleton.engine import Value


def mse_loss(predictions, targets):
    errors = [(p - t) ** 2 for p, t in zip(predictions, targets)]
    return reduce(lambda a, b: a + b, errors) / len(errors)


def hinge_loss(scores, labels):
    return sum(((y * s) * -1 + 1).relu() for s, y in zip(scores, labels)) * (1 / len(labels))


def l2_regularization(parameters, alpha):
    return alpha * reduce(lambda acc, p: acc + p * p, parameters, Value(0))


def sgd_step(parameters, lr):
    for p in parameters:
        p.data += -lr * p.grad


def train(model, xs, ys, *, steps, lr, loss_fn=mse_loss):
    history = []
    for _ in range(steps):
        loss = loss_fn([model(x) for x in xs], ys)
        loss.backward()
        sgd_step(model.parameters(), lr)
        model.zero_grad()  # ready for the next step
        history.append(loss.data)
    return history


def accuracy(scores, labels):
    values = np.array([s.data if isinstance(s, Value) else s for s in scores], dtype=float)
    return np.mean(np.sign(values) == np.array(labels, dtype=float))
