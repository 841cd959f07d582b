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
        ### BEGIN SOLUTION
        # Hint: set p.grad = 0 on each parameter object itself (assigning to the loop variable
        #       changes nothing).
        for p in self.parameters():
            p.grad = 0.0
        ### END SOLUTION

    def parameters(self):
        """The list of Values that training may change."""
        return []


class Neuron(Module):
    """``act(w . x + b)``: a weighted sum of the inputs, plus a bias, squashed."""

    def __init__(self, nin, activation="tanh"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {activation!r}")
        self.activation = activation
        ### BEGIN SOLUTION
        # Hint: one *distinct* Value(random.uniform(-1, 1)) per input in self.w ([Value(...)] * nin
        #       repeats one object), and a bias self.b = Value(0.0).
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        ### END SOLUTION

    def __call__(self, x):
        """The neuron's output for one input vector ``x`` (numbers or Values)."""
        ### BEGIN SOLUTION
        # Hint: start the sum at self.b, add each w_i * x_i, then apply self.activation ("linear"
        #       applies nothing).
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.activation == "tanh":
            return act.tanh()
        if self.activation == "relu":
            return act.relu()
        return act
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION
        # Hint: the weights, then the bias: w + [b].
        return self.w + [self.b]
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that all read the same input vector."""

    def __init__(self, nin, nout, activation="tanh"):
        ### BEGIN SOLUTION
        # Hint: self.neurons is a list of nout Neuron(nin, activation).
        self.neurons = [Neuron(nin, activation) for _ in range(nout)]
        ### END SOLUTION

    def __call__(self, x):
        """A list with one output per neuron, or a single Value when nout == 1."""
        ### BEGIN SOLUTION
        # Hint: call every neuron on x; return the lone Value itself when there is only one neuron.
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION
        # Hint: every neuron's parameters, in neuron order, in one flat list.
        return [p for n in self.neurons for p in n.parameters()]
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: layers applied one after another."""

    def __init__(self, nin, nouts, activation="tanh", output_activation=None):
        if output_activation is None:
            output_activation = activation
        ### BEGIN SOLUTION
        # Hint: sizes = [nin] + nouts; layer i maps sizes[i] to sizes[i+1]; only the last layer uses
        #       output_activation.
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation)
            for i in range(len(nouts))
        ]
        ### END SOLUTION

    def __call__(self, x):
        """Feed ``x`` through every layer; returns the last layer's output."""
        ### BEGIN SOLUTION
        # Hint: feed each layer's output into the next, and return the last one.
        for layer in self.layers:
            x = layer(x)
        return x
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION
        # Hint: every layer's parameters, in layer order, in one flat list.
        return [p for layer in self.layers for p in layer.parameters()]
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
