"""PyTorch float64: the second, independent oracle for whole expressions.

The expression text the worker evaluates on the student's Values is evaluated
here on float64 tensors (``+ - * / **``, ``.exp()``, ``.tanh()``, ``.relu()``
mean the same on both), and torch's autograd gives the gradients.  torch is
imported only when an oracle is first asked, and only on the trusted side:
this module never goes to the worker.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from micrograd_feedback.numeric import compiled

from .remote import answered_remotely


@dataclass(frozen=True)
class TorchResult:
    """The value of an expression, d value / d input for every input, and how near a relu kink it ran."""

    data: float
    grads: dict[str, float]
    relu_margin: float  # min |argument| over every relu evaluated (inf when there was none)


@answered_remotely
def evaluate(expr: str, inputs: dict[str, float]) -> TorchResult:
    """``expr`` on float64 leaf tensors (the names of ``inputs``), forward and backward."""
    import torch

    leaves = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in inputs.items()}
    watch = _relu_watch()()
    with watch:
        out = eval(compiled(expr), {"__builtins__": {}}, dict(leaves))  # noqa: S307 - the grader's own text
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{expr!r} does not depend on any input")
    names = list(leaves)
    wanted = [leaves[n] for n in names]
    grads = torch.autograd.grad(out, wanted, allow_unused=True) if out.requires_grad else [None] * len(names)
    return TorchResult(
        data=float(out.detach()),
        grads={n: (float(g) if g is not None else 0.0) for n, g in zip(names, grads)},
        relu_margin=watch.margin,
    )


@functools.cache
def _relu_watch() -> type:
    """A torch function mode that records how close each relu's argument comes to its kink at 0
    (where the two sides' derivatives differ).  Made once: torch is imported on first use."""
    import torch
    from torch.overrides import TorchFunctionMode

    relu_functions = {torch.Tensor.relu, torch.relu, torch.nn.functional.relu}

    class ReluWatch(TorchFunctionMode):
        margin = math.inf

        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func in relu_functions and args and isinstance(args[0], torch.Tensor):
                self.margin = min(self.margin, float(args[0].detach().abs().min()))
            return func(*args, **(kwargs or {}))

    return ReluWatch
