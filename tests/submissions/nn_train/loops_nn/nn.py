"""Correct nn.py with explicit loops, int data, an if/elif activation, an MLP that
wraps its (numeric) input in Values, and a zero_grad that walks the structure itself."""

import random

from .engine import Value


class Module:
    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, nin, activation="tanh"):
        self.w = []
        for _ in range(nin):
            self.w.append(Value(random.random() * 2 - 1))
        self.b = Value(0)
        self.kind = activation

    def __call__(self, x):
        total = self.b
        for i in range(len(self.w)):
            total = total + self.w[i] * x[i]
        if self.kind == "tanh":
            out = total.tanh()
        elif self.kind == "relu":
            out = total.relu()
        else:
            out = total
        return out

    def parameters(self):
        params = list(self.w)
        params.append(self.b)
        return params


class Layer(Module):
    def __init__(self, nin, nout, activation="tanh"):
        self.neurons = []
        for _ in range(nout):
            self.neurons.append(Neuron(nin, activation))

    def __call__(self, x):
        outs = []
        for n in self.neurons:
            outs.append(n(x))
        if len(outs) == 1:
            return outs[0]
        return outs

    def parameters(self):
        params = []
        for n in self.neurons:
            params.extend(n.parameters())
        return params


class MLP(Module):
    def __init__(self, nin, nouts, activation="tanh", output_activation=None):
        self.nin = nin
        self.nouts = list(nouts)
        self.layers = []
        size = nin
        for i, nout in enumerate(self.nouts):
            last = i == len(self.nouts) - 1
            act = activation
            if last and output_activation is not None:
                act = output_activation
            self.layers.append(Layer(size, nout, act))
            size = nout

    def __call__(self, x):
        out = [Value(v) for v in x]  # the data are numbers: wrap them once
        for layer in self.layers:
            out = layer(out)
        return out

    def parameters(self):
        params = []
        for layer in self.layers:
            params += layer.parameters()
        return params

    def zero_grad(self):
        for layer in self.layers:
            for neuron in layer.neurons:
                for w in neuron.w:
                    w.grad = 0
                neuron.b.grad = 0
