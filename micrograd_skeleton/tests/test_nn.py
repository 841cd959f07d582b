"""Quick public checks for nn.py. Run them with:  pytest micrograd_skeleton"""

import math

import pytest

from micrograd_skeleton.engine import Value
from micrograd_skeleton.nn import MLP, Layer, Neuron


def set_weights(neuron, w, b):
    for wi, value in zip(neuron.w, w):
        wi.data = value
    neuron.b.data = b


def test_neuron_computes_activation_of_weighted_sum():
    n = Neuron(2, activation="tanh")
    set_weights(n, [0.5, -1.0], 0.25)
    out = n([2.0, 1.0])
    assert isinstance(out, Value)
    assert out.data == pytest.approx(math.tanh(0.5 * 2 - 1.0 * 1 + 0.25)), "tanh(w . x + b)"


def test_neuron_parameters_are_distinct_weights_then_bias():
    n = Neuron(3)
    params = n.parameters()
    assert len(params) == 4, "3 weights and 1 bias"
    assert len({id(p) for p in params}) == 4, "every weight must be its own Value object"
    assert params[-1] is n.b, "the bias comes last"


def test_layer_outputs_one_value_per_neuron():
    assert len(Layer(3, 4)([1.0, 2.0, 3.0])) == 4
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value), "a layer of one neuron returns a single Value"


def test_mlp_parameter_count():
    assert len(MLP(3, [4, 4, 1]).parameters()) == 41, "(3*4+4) + (4*4+4) + (4*1+1) = 41"


def test_zero_grad_resets_every_gradient():
    model = MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters()), "zero_grad must set p.grad = 0 on each parameter"
