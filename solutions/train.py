"""Losses, gradient descent and the training loop."""

from __future__ import annotations

from .engine import Value


def mse_loss(predictions, targets):
    """Mean squared error: the MEAN of (p - t)**2 over all pairs."""
    ### BEGIN SOLUTION
    # Hint: sum (p - t)**2 over zip(predictions, targets), then divide by the number of pairs.
    squared_errors = [(p - t) ** 2 for p, t in zip(predictions, targets)]
    return sum(squared_errors) / len(squared_errors)
    ### END SOLUTION


def hinge_loss(scores, labels):
    """The SVM "max-margin" loss: the MEAN of relu(1 - y*s); labels are -1 or +1.

    A score on the right side of the boundary by a margin of at least 1 costs
    nothing; anything else costs linearly.
    """
    ### BEGIN SOLUTION
    # Hint: for each pair compute (1 - y*s).relu() (Value arithmetic keeps it in the graph), then
    #       take the mean.
    margins = [(1 - y * s).relu() for s, y in zip(scores, labels)]
    return sum(margins) / len(margins)
    ### END SOLUTION


def l2_regularization(parameters, alpha):
    """``alpha * sum(p*p)``: a penalty that keeps the weights small."""
    ### BEGIN SOLUTION
    # Hint: alpha times the sum of p*p over the parameters.
    return alpha * sum(p * p for p in parameters)
    ### END SOLUTION


def sgd_step(parameters, lr):
    """One step of gradient descent: move each parameter against its gradient."""
    ### BEGIN SOLUTION
    # Hint: p.data -= lr * p.grad for every parameter (minus: we go downhill).
    for p in parameters:
        p.data -= lr * p.grad
    ### END SOLUTION


def train(model, xs, ys, *, steps, lr, loss_fn=mse_loss):
    """Fit ``model`` to the examples ``(xs, ys)``; return each step's loss.

    Each step: predict every x, compute the loss, zero the gradients,
    backpropagate, update.  The loss is recorded before the update.
    """
    ### BEGIN SOLUTION
    # Hint: each step: predictions, loss = loss_fn(predictions, ys), model.zero_grad(),
    #       loss.backward(), sgd_step(...), record loss.data.
    history = []
    for _ in range(steps):
        predictions = [model(x) for x in xs]
        loss = loss_fn(predictions, ys)
        model.zero_grad()
        loss.backward()
        sgd_step(model.parameters(), lr)
        history.append(loss.data)
    return history
    ### END SOLUTION


def accuracy(scores, labels):
    """The fraction of examples whose score has the sign of its label (+1/-1)."""
    ### BEGIN SOLUTION
    # Hint: a score may be a Value or a number; count those whose sign (+1, -1, or 0 for 0) equals
    #       the label, divide by the count.
    values = [s.data if isinstance(s, Value) else s for s in scores]
    correct = sum(_sign(v) == y for v, y in zip(values, labels))
    return correct / len(values)
    ### END SOLUTION


def _sign(x):
    """+1, -1 or 0: a score of exactly 0 is on neither side."""
    return (x > 0) - (x < 0)
