"""How a check of nn.py or train.py judges what it observed: one judgement, one message, one diagnosis.

The grader's hidden checks (``autograder/checks/test_{neuron,layer,mlp,loss,training}.py``: cases
drawn from a secret seed, the truth from PyTorch) and the students' public checks
(``selfcheck``: fixed cases, the truth from plain floats) observe the student's objects in their
own ways (``probes``, in the sandbox or in the student's process) and compute the truth with their
own oracle; both then call these, so the same bug reads the same, whichever side reports it.
Each function takes the observation, what was run (in the student's terms) and the truth, and
raises ``judge.CheckFailure`` on the first thing that is wrong.
"""

from __future__ import annotations

from .diagnosis import diagnose_loss, diagnose_nn, diagnose_training
from .judge import fail, numbers_close, require, show
from .result import Diagnosis

# What known bugs would give (``outputs_if``, ``value_if``, ``wrong``) may be passed as a function that
# computes it: it is only needed when a check fails.
OUTPUTS = {"rel": 1e-9, "abs_tol": 1e-12}
GRADIENTS = {"rel": 1e-7, "abs_tol": 1e-10}
TRAJECTORY = {"rel": 1e-9, "abs_tol": 1e-12}


def _known(bugs):
    return bugs() if callable(bugs) else bugs


def single(values):
    """A one-element list shown as its element."""
    return values[0] if isinstance(values, list) and len(values) == 1 else values


# -- Neuron -------------------------------------------------------------------------------------
def neuron_output(obs: dict, ran: str, expected: float, act: str, outputs_if) -> None:
    if not obs.get("returns_value"):
        fail(ran, "out is a Value", f"a {obs.get('type')}", diagnose_nn("forward", obs))
    if not numbers_close(obs.get("outputs"), [expected], **OUTPUTS):
        fail(ran, f"out.data = act(w . x + b) = {show(expected)} ({act})",
             f"out.data = {show(single(obs.get('outputs')))}",
             diagnose_nn("forward", obs, outputs_if=_known(outputs_if)))


def neuron_gradients(obs: dict, ran: str, want: dict[str, list[float]], outputs_if, tolerance=GRADIENTS) -> None:
    """``want``: the gradients of ``w``, ``b`` and ``x`` (each a list); ``tolerance`` is looser where the
    truth comes from finite differences (the public checks)."""
    grads = obs.get("grads") or []
    got = {"w": grads[:-1], "b": (obs.get("grads") or [None])[-1:], "x": obs.get("x_grads")}
    for name in ("w", "b", "x"):
        if not numbers_close(got[name], want[name], **tolerance):
            fail(ran, f"{name}[i].grad = {show(want[name])}", f"{name}[i].grad = {show(got[name])}",
                 diagnose_nn("gradients", obs, outputs_if=_known(outputs_if)))


def neuron_parameters(obs: dict, ran: str, nin: int) -> None:
    def why() -> Diagnosis | None:
        return diagnose_nn("parameters", obs)

    require(obs.get("w_lens") == [nin], ran, f"len(n.w) == {nin}", f"len(n.w) == {show(obs.get('w_lens'))}", why())
    require(obs.get("n_params") == nin + 1, ran, f"{nin + 1} parameters ({nin} weights and the bias)",
            f"{obs.get('n_params')} parameters", why())
    require(obs.get("params_are_values") is True, ran, "every parameter a Value", "something else among them", why())
    require(obs.get("n_distinct") == nin + 1, ran, f"{nin + 1} distinct Value objects",
            f"{obs.get('n_distinct')} distinct objects", why())
    require(obs.get("params_in_order") is True, ran, "ps == n.w + [n.b] (the same objects, in that order)",
            "other objects, or another order", why())


# -- Layer --------------------------------------------------------------------------------------
def layer_outputs(obs: dict, ran: str, nout: int, expected: list[float], outputs_if) -> None:
    if nout == 1:
        require(obs.get("returns_value") is True, ran,
                "out is a Value (a Layer with one neuron returns its output itself)",
                f"a {obs.get('type')} of {obs.get('n_outputs')}", diagnose_nn("single_output", obs))
    else:
        require(obs.get("returns_sequence") is True and obs.get("n_outputs") == nout, ran,
                f"a list of {nout} Values", f"a {obs.get('type')} of {obs.get('n_outputs')}",
                diagnose_nn("forward", obs))
    if not numbers_close(obs.get("outputs"), expected, **OUTPUTS):
        fail(ran, f"outputs {show(expected)}", f"outputs {show(obs.get('outputs'))}",
             diagnose_nn("forward", obs, outputs_if=_known(outputs_if)))


def layer_gradients(obs: dict, ran: str, params: list[float], x: list[float] | None,
                    outputs_if, tolerance=GRADIENTS) -> None:
    """The gradients of every parameter (neuron by neuron, w then b) and, unless None, of the inputs."""
    for name, got, want in (("parameter", obs.get("grads"), params), ("x", obs.get("x_grads"), x)):
        if want is not None and not numbers_close(got, want, **tolerance):
            fail(ran, f"{name} gradients (neuron by neuron, w then b) {show(want)}", f"{show(got)}",
                 diagnose_nn("gradients", obs, outputs_if=_known(outputs_if)))


def layer_parameters(obs: dict, ran: str, nin: int, nout: int) -> None:
    count = nout * (nin + 1)

    def why() -> Diagnosis | None:
        return diagnose_nn("parameters", obs)

    require(obs.get("n_neurons") == nout and obs.get("w_lens") == [nin] * nout, ran,
            f"{nout} neurons with {nin} weights each", f"weights per neuron: {show(obs.get('w_lens'))}", why())
    require(obs.get("n_params") == count, ran, f"{count} parameters", f"{obs.get('n_params')}", why())
    require(obs.get("params_are_values") is True, ran, "every parameter a Value", "something else among them", why())
    require(obs.get("n_distinct") == count, ran, f"{count} distinct Value objects", f"{obs.get('n_distinct')}", why())
    require(obs.get("params_in_order") is True, ran, "the neurons' parameters (w..., b), neuron after neuron",
            "other objects, or another order", why())


# -- MLP ----------------------------------------------------------------------------------------
def expected_shape(nin: int, nouts: list[int]) -> list[list[int]]:
    """Weights per neuron, per layer: layer i reads sizes[i] inputs."""
    sizes = [nin, *nouts]
    return [[sizes[i]] * sizes[i + 1] for i in range(len(nouts))]


def shape_hypotheses(nin: int, nouts: list[int]) -> dict[str, object]:
    return {"mlp-last-layer": expected_shape(nin, nouts)[:-1]}


def parameter_count(nin: int, nouts: list[int]) -> int:
    sizes = [nin, *nouts]
    return sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))  # MLP(3, [4, 4, 1]): 41


def mlp_outputs(obs: dict, ran: str, nin: int, nouts: list[int], expected: list[float],
                outputs_if) -> None:
    if not numbers_close(obs.get("outputs"), expected, **OUTPUTS):
        fail(ran, f"outputs {show(expected)}", f"outputs {show(obs.get('outputs'))} (a {obs.get('type')})",
             diagnose_nn("forward", obs, outputs_if=_known(outputs_if), shape_if=shape_hypotheses(nin, nouts)))


def mlp_gradients(obs: dict, ran: str, expected: list[float], outputs_if, tolerance=GRADIENTS) -> None:
    if not numbers_close(obs.get("grads"), expected, **tolerance):
        fail(ran, f"parameter gradients (layer by layer, neuron by neuron, w then b) {show(expected)}",
             show(obs.get("grads")), diagnose_nn("gradients", obs, outputs_if=_known(outputs_if)))


def mlp_shape(obs: dict, ran: str, nin: int, nouts: list[int]) -> None:
    expected = expected_shape(nin, nouts)
    require(obs.get("shape") == expected, ran,
            f"layers of sizes {nouts}, layer i reading sizes[i] inputs (weights per neuron, per layer: {expected})",
            f"weights per neuron, per layer: {obs.get('shape')}",
            diagnose_nn("shape", obs, shape_if=shape_hypotheses(nin, nouts)))


def mlp_parameters(obs: dict, ran: str, nin: int, nouts: list[int]) -> None:
    count = parameter_count(nin, nouts)

    def why() -> Diagnosis | None:
        return diagnose_nn("parameters", obs, shape_if=shape_hypotheses(nin, nouts))

    require(obs.get("n_params") == count, ran, f"{count} parameters", f"{obs.get('n_params')}", why())
    require(obs.get("params_are_values") is True, ran, "every parameter a Value", "something else among them", why())
    require(obs.get("n_distinct") == count, ran, f"{count} distinct Value objects", f"{obs.get('n_distinct')}", why())
    require(obs.get("params_in_order") is True, ran,
            "the layers' parameters in layer order (each layer's in neuron order, w..., b)",
            "other objects, or another order", why())


def mlp_zero_grad(obs: dict, ran: str, count: int) -> None:
    after = obs.get("grads_after_zero_grad")
    if not isinstance(after, list) or len(after) != count:
        fail(ran, f"the gradients of the {count} parameters", f"{show(after)}", diagnose_nn("shape", obs))
        return
    nonzero = [i for i, g in enumerate(after) if g != 0]
    if nonzero:
        fail(ran, f"all {count} gradients 0", f"{len(nonzero)} not 0, e.g. {show(after[nonzero[0]])} "
             f"(parameter #{nonzero[0]}, counting layer by layer, w then b)", diagnose_nn("zero_grad", obs))


# -- train.py -----------------------------------------------------------------------------------
def loss(obs: dict, ran: str, value: float, grads: list[float] | None, value_if=None, tolerance=GRADIENTS) -> None:
    """A loss: a Value, its data, and (unless ``grads`` is None) the gradient of every input."""
    require(obs.get("is_value") is True, ran, "a Value (so that gradients can flow back)",
            f"a {obs.get('type')} ({show(obs.get('data'))})")
    if not numbers_close([obs.get("data")], [value], **OUTPUTS):
        fail(ran, f"loss.data = {show(value)}", f"loss.data = {show(obs.get('data'))}",
             diagnose_loss(obs.get("data"), _known(value_if) or {}))
    if grads is not None and not numbers_close(obs.get("grads"), grads, **tolerance):
        fail(ran + "; loss.backward()", f"input gradients {show(grads)}", f"{show(obs.get('grads'))}")


def sgd_step(obs: dict, ran: str, data: list[float], grads: list[float], lr: float) -> None:
    expected = [d - lr * g for d, g in zip(data, grads)]
    if not numbers_close(obs.get("data"), expected, rel=1e-12, abs_tol=1e-15):
        fail(ran,
             f"p.data = {show(expected)} (p.data - lr * p.grad)", f"p.data = {show(obs.get('data'))}",
             diagnose_training(obs.get("data"), {"sgd-wrong-sign": [d + lr * g for d, g in zip(data, grads)]}))


def train_history(obs: dict, ran: str, steps: int, history: list[float], wrong, tolerance=TRAJECTORY) -> None:
    """``wrong``: what each known wrong loop gives (its loss history)."""
    got = obs.get("history")
    require(isinstance(got, list), ran, f"a list of {steps} losses", f"a {obs.get('type')}")
    if not numbers_close(got, history, **tolerance):
        fail(ran, f"losses {show(history)} (each step: predict, loss, zero_grad, backward, sgd_step; "
             "as PyTorch does)", f"losses {show(got)}", diagnose_training(got, _known(wrong)))


def train_final(obs: dict, ran: str, steps: int, final: list[float], wrong) -> None:
    if not numbers_close(obs.get("final"), final, **TRAJECTORY):
        fail(ran, f"weights after {steps} steps {show(final)}", f"{show(obs.get('final'))}",
             diagnose_training(obs.get("final"), _known(wrong)))


def accuracy(obs: dict, ran: str, expected: float) -> None:
    require(numbers_close([obs.get("accuracy")], [expected], rel=1e-12, abs_tol=1e-12), ran,
            f"{expected:g} (the fraction with sign(score) == label)",
            f"{show(obs.get('accuracy'))} (a {obs.get('type')})")
