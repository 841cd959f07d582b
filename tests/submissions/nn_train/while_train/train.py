"""Correct train.py: a while loop, explicit accumulations, math.copysign for
accuracy, zeroing by hand, an update written out, and a debug print."""

import math

from .engine import Value


def mse_loss(predictions, targets):
    total = Value(0.0)
    count = 0
    for p, t in zip(predictions, targets):
        diff = p - t
        total = total + diff * diff
        count += 1
    return total * (1.0 / count)


def hinge_loss(scores, labels):
    total = Value(0)
    for s, y in zip(scores, labels):
        total = total + (-y * s + 1).relu()
    return total / len(scores)


def l2_regularization(parameters, alpha):
    return sum((p**2 for p in parameters), Value(0.0)) * alpha


def sgd_step(parameters, lr):
    for p in parameters:
        p.data = p.data - lr * p.grad


def train(model, xs, ys, *, steps, lr, loss_fn=mse_loss):
    losses = []
    step = 0
    while step < steps:
        scores = list(map(model, xs))
        loss = loss_fn(scores, ys)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        sgd_step(model.parameters(), lr)
        losses.append(float(loss.data))
        if step % 100 == 0:
            print(f"step {step}: loss {loss.data:.4f}")
        step += 1
    return losses


def accuracy(scores, labels):
    hits = 0
    for s, y in zip(scores, labels):
        v = s.data if hasattr(s, "data") else s
        if v != 0 and math.copysign(1.0, v) == y:
            hits += 1
    return hits / len(labels)
