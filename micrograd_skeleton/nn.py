# Student skeleton, generated from the reference solution by tools/generate_skeleton.py.
# Replace every `raise NotImplementedError(...)` with your code.
"""Neural networks built from Values: a Neuron, a Layer of neurons, an MLP.

Nothing here knows about gradients: every forward pass builds an expression
graph out of Values, and ``loss.backward()`` does the rest.
"""

from __future__ import annotations

import random

from .engine import Value

ACTIVATIONS = ("tanh", "relu", "linear")


class Module:
    """Something with parameters: a Neuron, a Layer or a whole MLP."""

    def zero_grad(self):
        """Reset every parameter's gradient, before the next ``backward()``.

        ``_backward`` functions *add* into ``.grad``; without this, each step
        would follow the sum of all past gradients.
        """
        raise NotImplementedError(
            'Module.zero_grad: set p.grad = 0 on each parameter object itself (assigning to the '
            'loop variable changes nothing).'
        )

    def parameters(self):
        """The list of Values that training may change."""
        return []


class Neuron(Module):
    """``act(w . x + b)``: a weighted sum of the inputs, plus a bias, squashed."""

    def __init__(self, nin, activation="tanh"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {activation!r}")
        self.activation = activation
        raise NotImplementedError(
            'Neuron.__init__: one *distinct* Value(random.uniform(-1, 1)) per input in self.w '
            '([Value(...)] * nin repeats one object), and a bias self.b = Value(0.0).'
        )

    def __call__(self, x):
        """The neuron's output for one input vector ``x`` (numbers or Values)."""
        raise NotImplementedError(
            'Neuron.__call__: start the sum at self.b, add each w_i * x_i, then apply '
            'self.activation ("linear" applies nothing).'
        )

    def parameters(self):
        raise NotImplementedError('Neuron.parameters: the weights, then the bias: w + [b].')

    def __repr__(self) -> str:
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that all read the same input vector."""

    def __init__(self, nin, nout, activation="tanh"):
        raise NotImplementedError(
            'Layer.__init__: self.neurons is a list of nout Neuron(nin, activation).'
        )

    def __call__(self, x):
        """A list with one output per neuron, or a single Value when nout == 1."""
        raise NotImplementedError(
            'Layer.__call__: call every neuron on x; return the lone Value itself when there is '
            'only one neuron.'
        )

    def parameters(self):
        raise NotImplementedError(
            "Layer.parameters: every neuron's parameters, in neuron order, in one flat list."
        )

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: layers applied one after another."""

    def __init__(self, nin, nouts, activation="tanh", output_activation=None):
        if output_activation is None:
            output_activation = activation
        raise NotImplementedError(
            'MLP.__init__: sizes = [nin] + nouts; layer i maps sizes[i] to sizes[i+1]; only the '
            'last layer uses output_activation.'
        )

    def __call__(self, x):
        """Feed ``x`` through every layer; returns the last layer's output."""
        raise NotImplementedError(
            "MLP.__call__: feed each layer's output into the next, and return the last one."
        )

    def parameters(self):
        raise NotImplementedError(
            "MLP.parameters: every layer's parameters, in layer order, in one flat list."
        )

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
