"""Quick public checks for train.py. Run them with:  pytest micrograd_skeleton"""

import pytest

from micrograd_skeleton.engine import Value
from micrograd_skeleton.nn import MLP
from micrograd_skeleton.train import accuracy, hinge_loss, l2_regularization, mse_loss, sgd_step, train


def test_mse_loss_is_the_mean():
    loss = mse_loss([Value(1.0), Value(3.0)], [0.0, 0.0])
    assert loss.data == pytest.approx(5.0), "(1**2 + 3**2) / 2 = 5: the MEAN, not the sum"


def test_hinge_loss():
    loss = hinge_loss([Value(2.0), Value(0.5)], [1, 1])
    assert loss.data == pytest.approx(0.25), "mean(relu(1 - 2), relu(1 - 0.5)) = 0.25"


def test_l2_regularization():
    assert l2_regularization([Value(1.0), Value(-2.0)], alpha=0.5).data == pytest.approx(2.5)


def test_sgd_step_moves_against_the_gradient():
    p = Value(1.0)
    p.grad = 2.0
    sgd_step([p], lr=0.1)
    assert p.data == pytest.approx(0.8), "p.data -= lr * p.grad"


def test_train_lowers_the_loss():
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    history = train(MLP(2, [4, 1]), xs, ys, steps=20, lr=0.05)
    assert len(history) == 20, "one loss per step"
    assert history[-1] < history[0], "the loss should fall during training"


def test_accuracy():
    assert accuracy([Value(2.0), -1.0, 0.5], [1, -1, -1]) == pytest.approx(2 / 3)
