"""How fast the reference engine trains the moons demo, and what the fix is worth.

Runs the demo's training (MLP(2, [16, 16, 1]), 100 points, 100 steps) twice:

* ``reference``: as ``solutions/demo.py`` runs it, freeing each step's graph
  (``Value.free_graph``) with the cyclic garbage collector paused;
* ``baseline``: the same engine used as karpathy/micrograd's demo uses its
  engine: the collector on, each step's graph left for it to find.

The baseline is slow, so by default it runs ``--baseline-steps`` steps and
its 100-step time is extrapolated (said so in the table).  A script, not a
test: timings depend on the machine.

    python benchmarks/bench_engine.py [--baseline-steps N]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from solutions.datasets import make_moons
from solutions.demo import train_moons
from solutions.nn import MLP
from solutions.train import accuracy, hinge_loss, l2_regularization, sgd_step


def baseline(steps: int) -> tuple[float, float]:
    """The demo's loop without free_graph and with the collector on."""
    random.seed(1337)
    xs, ys = make_moons(n_samples=100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear")
    gc.enable()
    start = time.perf_counter()
    acc = 0.0
    for k in range(steps):
        scores = [model(x) for x in xs]
        loss = hinge_loss(scores, ys) + l2_regularization(model.parameters(), alpha=1e-4)
        model.zero_grad()
        loss.backward()
        sgd_step(model.parameters(), lr=1.0 - 0.9 * k / 100)
        acc = accuracy(scores, ys)
    return time.perf_counter() - start, acc


def main() -> int:
    parser = argparse.ArgumentParser(description="benchmark the reference engine on the moons demo")
    parser.add_argument("--baseline-steps", type=int, default=15,
                        help="baseline steps to time (100 = no extrapolation)")
    args = parser.parse_args()

    start = time.perf_counter()
    _, _, _, accuracies = train_moons(log=lambda line: None)
    fast = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    slow, _ = baseline(args.baseline_steps)
    slow_100 = slow * 100 / args.baseline_steps
    note = "" if args.baseline_steps == 100 else f" (timed {args.baseline_steps} steps, x{100 / args.baseline_steps:g})"
    print("moons demo, 100 steps, MLP(2, [16, 16, 1]) on 100 points")
    print(f"{'engine use':<44}{'seconds':>10}")
    print(f"{'reference (free_graph, collector paused)':<44}{fast:>10.1f}   "
          f"accuracy {accuracies[-1]:.0%}, peak RSS {peak:.0f} MB")
    print(f"{'baseline (collector on, graph not freed)':<44}{slow_100:>10.1f}{note}")
    print(f"speed-up: {slow_100 / fast:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
