"""The moons demo: train a small MLP to separate two half-moons.

Run ``python -m micrograd_skeleton.demo [OUTDIR]`` on your package: it prints the loss and
accuracy as your ``train`` trains, then saves a decision-boundary plot, the loss/accuracy curves
and a picture of a small expression graph into OUTDIR (default ``build/demo``), when matplotlib
and graphviz are installed.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .datasets import make_moons
from .engine import Value
from .nn import MLP
from .train import accuracy, hinge_loss, l2_regularization, train


def train_moons(steps: int = 100, seed: int = 1337, log=print):
    """Train ``MLP(2, [16, 16, 1])`` with your ``train``: hinge loss + L2, a learning rate that decays.

    Returns the model, the data, and the loss and accuracy of every step.
    """
    random.seed(seed)  # the initial weights come from `random`
    xs, ys = make_moons(n_samples=100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear")
    step: dict = {}  # this step's scores and loss, as your `train` computed them

    def loss_fn(scores, labels):
        step["scores"] = scores
        step["loss"] = hinge_loss(scores, labels) + l2_regularization(model.parameters(), alpha=1e-4)
        return step["loss"]

    losses, accuracies = [], []
    with cycle_collector_paused():
        for k in range(steps):  # one step of `train` at a time, so that the learning rate can decay
            losses += train(model, xs, ys, steps=1, lr=1.0 - 0.9 * k / steps, loss_fn=loss_fn)
            accuracies.append(accuracy(step["scores"], ys))
            free_graph = getattr(step["loss"], "free_graph", None)
            if callable(free_graph):
                free_graph()  # no cycles left: this step's graph is freed right here
            if k % 10 == 0 or k == steps - 1:
                log(f"step {k:3d}  loss {losses[-1]:.4f}  accuracy {accuracies[-1]:.0%}")
    return model, (xs, ys), losses, accuracies


@contextmanager
def cycle_collector_paused():
    """Pause Python's cyclic garbage collector, and run it once at the end.

    A step allocates ~450,000 objects that all live until the step ends; the
    collector, triggered by allocation counts, would scan them again and again
    looking for cycles that ``free_graph`` already broke.  This makes the demo
    about 10x faster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def readme_expression():
    """The expression from micrograd's README, labelled for drawing."""
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.label = "g"
    g.backward()
    return g, a, b


PICTURES_NEED = ("the pictures need matplotlib and graphviz (pip install 'micrograd-kit-student[notebook]') "
                 "and Graphviz's `dot` program")


def main(argv: list[str] | None = None) -> int:
    outdir = Path((argv if argv is not None else sys.argv[1:] or ["build/demo"])[0])

    g, a, b = readme_expression()
    print(f"README expression: g = {g.data:.4f}, dg/da = {a.grad:.4f}, dg/db = {b.grad:.4f}")
    start = time.perf_counter()
    model, (xs, ys), losses, accuracies = train_moons()
    seconds = time.perf_counter() - start
    print(f"moons: final training accuracy {accuracies[-1]:.0%} in {seconds:.1f} s")
    try:
        written = save_pictures(outdir, model, xs, ys, losses, accuracies)
    except (ImportError, RuntimeError) as error:  # an optional package or `dot` is missing
        print(f"pictures skipped: {PICTURES_NEED} ({error})")
    else:
        print("pictures: " + ", ".join(str(path) for path in written))
    return 0


def save_pictures(outdir: Path, model, xs, ys, losses, accuracies) -> list[Path]:
    """A small neuron's graph, the decision boundary and the training curves, saved into ``outdir``."""
    from .viz import plot_decision_boundary, plot_training, save_graph

    outdir.mkdir(parents=True, exist_ok=True)
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    neuron = (x1 * w1 + Value(6.8813735870195432, label="b")).tanh()
    neuron.label = "o"
    neuron.backward()
    graph = save_graph(neuron, outdir / "graph.svg")
    plot_decision_boundary(model, xs, ys, path=outdir / "decision_boundary.png")
    plot_training(losses, accuracies, path=outdir / "training.png")
    return [graph, outdir / "decision_boundary.png", outdir / "training.png"]


if __name__ == "__main__":
    sys.exit(main())
