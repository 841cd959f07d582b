"""Small datasets for the exercises, as plain Python lists (standard library only)."""

from __future__ import annotations

import math
import random


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1):
    """Two interleaving half-moons: ``xs`` (lists of 2 floats) and ``ys`` (-1 or +1).

    A classic toy problem that no straight line separates, so a classifier has
    to learn a curved decision boundary.  The upper moon is the unit half
    circle, the lower one the same shifted by (1, 0.5) and flipped, as in
    scikit-learn's ``make_moons``; each point gets Gaussian noise of ``noise``.
    """
    rng = random.Random(seed)
    upper = n_samples // 2
    lower = n_samples - upper
    xs, ys = [], []
    for i in range(upper):
        t = math.pi * i / max(upper - 1, 1)
        xs.append([math.cos(t), math.sin(t)])
        ys.append(-1)
    for i in range(lower):
        t = math.pi * i / max(lower - 1, 1)
        xs.append([1 - math.cos(t), 0.5 - math.sin(t)])
        ys.append(1)
    xs = [[x + rng.gauss(0, noise), y + rng.gauss(0, noise)] for x, y in xs]
    order = list(range(n_samples))
    rng.shuffle(order)
    return [xs[i] for i in order], [ys[i] for i in order]


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
