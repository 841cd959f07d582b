"""Small datasets for the exercises, as plain Python lists."""

from __future__ import annotations


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1):
    """Two interleaving half-moons: ``xs`` (lists of 2 floats) and ``ys`` (-1 or +1).

    A classic toy problem that no straight line separates, so a classifier has
    to learn a curved decision boundary.
    """
    from sklearn.datasets import make_moons as sklearn_make_moons

    x, y = sklearn_make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    xs = [[float(a), float(b)] for a, b in x]
    ys = [1 if label == 1 else -1 for label in y]
    return xs, ys


def tiny_regression():
    """Four inputs and their targets: the dataset of the first training loop."""
    xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0]
    return xs, ys
