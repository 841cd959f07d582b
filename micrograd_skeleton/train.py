# Student skeleton, generated from the reference solution by tools/generate_skeleton.py.
# Replace every `raise NotImplementedError(...)` with your code.
"""Losses, gradient descent and the training loop."""

from __future__ import annotations

from .engine import Value


def mse_loss(predictions, targets):
    """Mean squared error: the MEAN of (p - t)**2 over all pairs."""
    raise NotImplementedError(
        'mse_loss: sum (p - t)**2 over zip(predictions, targets), then divide by the number of '
        'pairs.'
    )


def hinge_loss(scores, labels):
    """The SVM "max-margin" loss: the MEAN of relu(1 - y*s); labels are -1 or +1.

    A score on the right side of the boundary by a margin of at least 1 costs
    nothing; anything else costs linearly.
    """
    raise NotImplementedError(
        'hinge_loss: for each pair compute (1 - y*s).relu() (Value arithmetic keeps it in the '
        'graph), then take the mean.'
    )


def l2_regularization(parameters, alpha):
    """``alpha * sum(p*p)``: a penalty that keeps the weights small."""
    raise NotImplementedError('l2_regularization: alpha times the sum of p*p over the parameters.')


def sgd_step(parameters, lr):
    """One step of gradient descent: move each parameter against its gradient."""
    raise NotImplementedError(
        'sgd_step: p.data -= lr * p.grad for every parameter (minus: we go downhill).'
    )


def train(model, xs, ys, *, steps, lr, loss_fn=mse_loss):
    """Fit ``model`` to the examples ``(xs, ys)``; return each step's loss.

    Each step: predict every x, compute the loss, zero the gradients,
    backpropagate, update.  The loss is recorded before the update.
    """
    raise NotImplementedError(
        'train: each step: predictions, loss = loss_fn(predictions, ys), model.zero_grad(), '
        'loss.backward(), sgd_step(...), record loss.data.'
    )


def accuracy(scores, labels):
    """The fraction of examples whose score has the sign of its label (+1/-1)."""
    raise NotImplementedError(
        'accuracy: a score may be a Value or a number; count those whose sign (+1, -1, or 0 for '
        '0) equals the label, divide by the count.'
    )


def _sign(x):
    """+1, -1 or 0: a score of exactly 0 is on neither side."""
    return (x > 0) - (x < 0)
