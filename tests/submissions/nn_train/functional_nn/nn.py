"""Correct nn.py in a functional style: absolute import, zip/sum with a start,
activation looked up in a table, MLP storing its sizes, tuple-built lists."""

import operator
import random
from functools import reduce

from micrograd_skeleton.engine import Value

_ACT = {
    "tanh": lambda v: v.tanh(),
    "relu": lambda v: v.relu(),
    "linear": lambda v: v,
}


class Module:
    def zero_grad(self):
        for p in self.parameters():
            setattr(p, "grad", 0)  # noqa: B010 - a student style; an int zero is fine

    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, nin, activation="tanh"):
        self.activation = activation
        self.w = list(map(lambda _: Value(random.gauss(0.0, 0.5)), range(nin)))  # noqa: C417
        self.b = Value(random.uniform(-0.1, 0.1))

    def __call__(self, x):
        return _ACT[self.activation](sum(map(operator.mul, self.w, x), self.b))

    def parameters(self):
        return [*self.w, self.b]


class Layer(Module):
    def __init__(self, nin, nout, activation="tanh"):
        self.neurons = [Neuron(nin, activation=activation) for _ in range(nout)]

    def __call__(self, x):
        outs = [neuron(x) for neuron in self.neurons]
        return outs if len(self.neurons) > 1 else outs[0]

    def parameters(self):
        return reduce(lambda acc, n: acc + n.parameters(), self.neurons, [])


class MLP(Module):
    def __init__(self, nin, nouts, activation="tanh", output_activation=None):
        self.sizes = (nin, *nouts)
        acts = [activation] * (len(nouts) - 1) + [output_activation or activation]
        self.layers = [Layer(a, b, act) for a, b, act in zip(self.sizes, self.sizes[1:], acts)]

    def __call__(self, x):
        return reduce(lambda h, layer: layer(h), self.layers, x)

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
