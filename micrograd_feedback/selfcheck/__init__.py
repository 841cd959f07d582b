"""A student's public self-checks: their own code, checked in their own process, with public cases.

``check_part(part, modules)`` runs the public cases of one part (``cases.py``)
on the student's objects (``modules``: "engine", "nn", "train" -> a module or
any object with the contract's names, e.g. a notebook's namespace) and
returns one ``CheckResult`` per case: the same comparisons, messages and
diagnoses as the hidden grader (``judge``, ``diagnosis``), against finite
differences (no PyTorch needed), with no reference and no hidden case.
``report`` shows a part's results, every distinct diagnosis included;
``require`` raises ``SelfCheckFailed`` when the part is not fully right, so a
test or nbgrader's Validate fails on it.
"""

from __future__ import annotations

import signal
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from .. import judge, judge_nn, probes
from ..diagnosis import diagnose_error, diagnose_graph
from ..judge import CheckFailure, fail, show
from ..modules import MODULES, PARTS
from ..numeric import close, evaluate, gradient
from ..result import CheckResult, diagnoses_once, wrapped
from . import cases, oracle

CASE_SECONDS = 10.0  # a case that runs longer is stopped (an infinite loop in the student's code)
PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


class SelfCheckFailed(AssertionError):
    """A part is not fully right yet; the message names it and what failed.

    IPython shows what ``_render_traceback_`` returns instead of a traceback: the report alone, so a
    check cell's error (and nbgrader's Validate) opens with the fix, not with the kit's frames."""

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class _Timeout(BaseException):
    pass


def check_part(part: str, modules: dict[str, Any], locate: Callable[[str, int], str | None] | None = None
               ) -> list[CheckResult]:
    """The public cases of ``part`` on the student's ``modules``; ``locate(filename, line)`` names where
    a line of the student's code is (a notebook cell), None for a file of its own."""
    if part not in PARTS:
        raise KeyError(f"unknown part {part!r}; the parts are {', '.join(PARTS)}")
    results: list[CheckResult] = []
    called: dict[str, object] = {}  # case -> the Value members its first probe called
    for name, run, *ran in _cases(part, modules, called):  # ``ran``: the case in the student's terms, if not its name
        results.append(_run_case(part, name, run, locate, ran[0] if ran else name))
    return _with_cascades(part, results, called, modules)


OPERATION_MEMBERS = {p.id: frozenset(p.members) for p in PARTS.values() if p.operation}
TRACKED = sorted({m for members in OPERATION_MEMBERS.values() for m in members})
_CASCADING = threading.local()  # set while another part's checks run to explain a failure: no cascade of cascades


def _with_cascades(part: str, results: list[CheckResult], called: dict, modules: dict[str, Any]) -> list[CheckResult]:
    """A failed case that used another part's member, when that part's own checks fail, says so first."""
    if getattr(_CASCADING, "active", False):
        return results
    verdicts: dict[str, bool] = {}

    def is_wrong(other: str) -> bool:
        if other not in verdicts:
            _CASCADING.active = True
            try:
                verdicts[other] = any(r.status != "passed" for r in check_part(other, modules))
            finally:
                _CASCADING.active = False
        return verdicts[other]

    for result in results:
        if result.status != "passed" and result.name in called:
            first = judge.cascade(part, called[result.name], OPERATION_MEMBERS, is_wrong)
            # a bug is named in another part only when that part is wrong itself
            kept = tuple(d for d in result.diagnoses if not d.where or d.where == part or is_wrong(d.where))
            result.diagnoses = (first, *kept) if first is not None else kept
    return results


def require_part(part: str, modules: dict[str, Any], locate=None) -> str:
    """``check_part``, and its ``report``; raises ``SelfCheckFailed`` unless every case passed."""
    __tracebackhide__ = True  # pytest shows the student the message, not the checker's frames
    results = check_part(part, modules, locate)
    text = report(part, results)
    if any(r.status != "passed" for r in results):
        raise SelfCheckFailed(text)
    return text


def report(part: str, results: list[CheckResult]) -> str:
    """A part's results for a student, wrapped: the count, the first failure (its fix first), and every
    other distinct diagnosis."""
    failed = [r for r in results if r.status != "passed"]
    name = heading(part)
    if not failed:
        return f"{name}: all {len(results)} public checks pass"
    first = failed[0]
    lines = [f"{name}: {len(failed)} of {len(results)} public checks fail. The first:"]
    lines += ["  " + line for line in first.message.splitlines()]
    others = diagnoses_once(failed[1:], exclude=first.keys())
    if others:
        lines.append("Other failing checks of this part also show:")
        lines += [f"  - {diagnosis.label}: {diagnosis.text()}" for _, diagnosis in others]
    return wrapped("\n".join(lines))


def heading(part: str) -> str:
    """``relu (ReLU)``-style: the part's id, and its title when the title says more."""
    title = PARTS[part].title
    return title if title.split(" (")[0].lower() == part else f"{part}: {title}"


def modules_of_package(package: ModuleType | str = "micrograd_skeleton") -> dict[str, Any]:
    """The student's modules of a package (``micrograd_skeleton`` by default), imported."""
    import importlib

    name = package if isinstance(package, str) else package.__name__
    return {m: importlib.import_module(f"{name}.{m}") for m in MODULES}


# == running one case ===================================================================
def _run_case(part: str, name: str, run: Callable[[], None], locate, ran: str) -> CheckResult:
    try:
        with _time_limit(CASE_SECONDS), _no_exit():
            run()
    except CheckFailure as failure:
        return failure.result(name, part)
    except _Timeout:
        return CheckResult(name, part, status="timeout", ran=ran,
                           error=f"Your code did not finish within {CASE_SECONDS:g} s (an infinite loop?)")
    except (Exception, SystemExit) as error:  # noqa: BLE001 - what the student's code raised is the observation
        kind, message = type(error).__name__, str(error)[:300]
        where = _where(error, locate)
        return CheckResult(name, part, status="error", ran=ran,
                           error=judge.raised(kind, message, where),
                           diagnoses=tuple(d for d in [diagnose_error(part, {"type": kind, "message": message})] if d))
    return CheckResult(name, part)


def _where(error: BaseException, locate) -> str | None:
    """The last line of the student's code in the traceback: a cell (``locate``) or a file and line."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith(PACKAGE_DIR) or "/site-packages/" in frame.filename:
            continue
        place = locate(frame.filename, frame.lineno or 0) if locate else None
        found = place or f"{Path(frame.filename).name}, line {frame.lineno}"
    return found


class _no_exit:  # noqa: N801 - a context manager used as a statement
    """``os._exit`` raises instead while a case runs: the student's code cannot end the checking process."""

    def __enter__(self):
        import os

        self.real = os._exit

        def refuse(status: int = 0) -> None:
            raise RuntimeError(f"os._exit({status}) was called")

        os._exit = refuse  # type: ignore[assignment]
        return self

    def __exit__(self, *exc):
        import os

        os._exit = self.real
        return False


class _time_limit:  # noqa: N801 - a context manager used as a statement
    """SIGALRM after ``seconds`` where possible (the main thread of a POSIX process), else no limit."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.active = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()

    def _expired(self, signum, frame):
        raise _Timeout()

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


# == the cases of each part ===============================================================
def _cases(part: str, modules: dict[str, Any], called: dict):
    """(name, run) for every public case of ``part``; ``called`` gets what each case's probe called."""
    spec = PARTS[part]
    if spec.operation:
        yield from _operation_cases(part, modules, called)
    elif part == "backward":
        for name, (nodes, root) in cases.BACKWARD.items():
            yield f"root.backward() on {name}", lambda nodes=nodes, root=root, name=name: _backward_case(
                modules, nodes, root, name)
    elif part == "graphs":
        for name, (expr, inputs, published) in cases.GRAPHS.items():
            case_name = f"out.backward() on {name}"
            yield case_name, lambda e=expr, i=inputs, p=published, n=case_name: _graph_case(modules, e, i, p, called, n)
    else:
        yield from NN_TRAIN_CASES[part](_state(modules))


def _state(modules: dict[str, Any]) -> probes.State:
    engine = modules.get("engine")
    return probes.State(dict(modules), getattr(engine, "Value", None), None)


def _operation_cases(part: str, modules: dict[str, Any], called: dict):
    members = frozenset(PARTS[part].members)

    for case in cases.operation_cases(part):
        def observe(expr: str, inputs: dict, out_grad: float, case=case, **options) -> dict:
            return _tracked_probe(modules, case.name, called, expr, inputs, out_grad, **options)

        def run(case=case, observe=observe) -> None:
            judge.check_expression(observe, part, members, case.expr, case.inputs, case.out_grad, case.swapped,
                                   expected_grads=case.expected_grads, bug_grads=case.bug_grads)
        yield case.name, run, judge.ran_expression(case.expr, case.inputs)


def _tracked_probe(modules: dict[str, Any], case_name: str, called: dict, expr: str, inputs: dict, out_grad: float,
                   **options) -> dict:
    """``probes.probe_op`` recording the Value members it called in ``called[case_name]`` (its first probe's),
    also when the student's code raised: the raise may be another part's doing."""
    try:
        obs = probes.probe_op(_state(modules), expr, inputs, out_grad, track=TRACKED, **options)
    except Exception as error:
        called.setdefault(case_name, probes.CALLED_BEFORE.pop(id(error), None))
        raise
    called.setdefault(case_name, obs.get("called"))
    return obs


def _backward_case(modules: dict[str, Any], nodes: dict, root: str, name: str) -> None:
    obs = probes.probe_graph_backward(_state(modules), nodes, root)
    judge.judge_backward(obs, nodes, root, f"root.backward() on {name}, whose _backward functions the check wrote")


def _graph_case(modules: dict[str, Any], expr: str, inputs: dict, published: dict, called: dict,
                case_name: str) -> None:
    obs = _tracked_probe(modules, case_name, called, expr, inputs, 1.0, propagate_mode="student")
    ran = judge.ran_expression(expr, inputs, "out.backward()")
    if not obs.get("is_value"):
        fail(ran, "out is a Value", f"a {obs.get('type')}")
    truth, grads = evaluate(expr, inputs), gradient(expr, inputs)
    if not close(obs.get("data"), truth):
        fail(ran, f"out.data = {truth:.6g}", f"out.data = {show(obs.get('data'))}")
    got: dict = obs["grads"] if isinstance(obs.get("grads"), dict) else {}
    if not all(close(got.get(k), v, rel=1e-5, abs_tol=1e-7) for k, v in grads.items()):
        operations = {p.id: frozenset(p.members) for p in PARTS.values() if p.operation}
        fail(ran, "grads " + show(grads), "grads " + show({k: got.get(k) for k in inputs}),
             diagnose_graph(operations, expr, inputs, obs, grads))
    for name, value in published.items():
        mine = obs.get("data") if name == "out" else got.get(name)
        if not close(mine, value, rel=0, abs_tol=5e-5):
            fail(ran, f"{name} = {value} (as published)", f"{name} = {show(mine)}")


# -- nn.py ----------------------------------------------------------------------------------
# The truth here comes from finite differences of plain floats: gradients are compared more loosely.
FD = {"rel": 1e-5, "abs_tol": 1e-7}


def _without_bias(params: oracle.Params, x: list[float], activations: list[str]):
    return lambda: {"bias-missing-from-forward": oracle.forward(params, x, activations, use_bias=False)}


def _neuron_cases(state: probes.State):
    row = cases.NEURON[0]
    for activation in ("tanh", "relu", "linear"):
        def run(activation=activation) -> None:
            ran = (f"n = Neuron(3, activation={activation!r}); n.w[i].data = {show(row[:-1])}; n.b.data = "
                   f"{show(row[-1])}; out = n(x) with x = Values {show(cases.X3)}")
            obs = probes.probe_neuron(state, 3, activation, row, cases.X3, True)
            hypotheses = _without_bias([[row]], cases.X3, [activation])
            judge_nn.neuron_output(obs, ran, oracle.forward([[row]], cases.X3, [activation])[0], activation,
                                   hypotheses)
            grads = oracle.parameter_gradients([[row]], cases.X3, [activation], [1.0])
            judge_nn.neuron_gradients(obs, ran + "; out.backward()", {
                "w": grads[:-1], "b": grads[-1:],
                "x": oracle.input_gradients([[row]], cases.X3, [activation], [1.0])}, hypotheses, FD)
        yield f"Neuron(3, activation={activation!r}): output and gradients", run

    def structure() -> None:
        obs = probes.probe_neuron(state, 4, None, None, None, False)
        judge_nn.neuron_parameters(obs, "n = Neuron(4); ps = n.parameters()", 4)
    yield "Neuron(4).parameters() is w + [b]", structure


def _layer_cases(state: probes.State):
    upstream = [1.0, -0.5, 2.0]

    def three() -> None:
        ran = f"layer = Layer(3, 3) with the check's weights; out = layer(x) with x = {show(cases.X3)}"
        obs = probes.probe_layer(state, 3, 3, "tanh", cases.LAYER, cases.X3, True, upstream)
        hypotheses = _without_bias([cases.LAYER], cases.X3, ["tanh"])
        judge_nn.layer_outputs(obs, ran, 3, oracle.forward([cases.LAYER], cases.X3, ["tanh"]), hypotheses)
        judge_nn.layer_gradients(
            obs, ran + f"; sum(u_j * out[j]) with u = {show(upstream)}; .backward()",
            oracle.parameter_gradients([cases.LAYER], cases.X3, ["tanh"], upstream),
            oracle.input_gradients([cases.LAYER], cases.X3, ["tanh"], upstream), hypotheses, FD)
    yield "Layer(3, 3): outputs and gradients", three

    def one() -> None:
        ran = "layer = Layer(3, 1) with the check's weights; out = layer(x)"
        obs = probes.probe_layer(state, 3, 1, "tanh", cases.LAYER[:1], cases.X3, True, [1.0])
        judge_nn.layer_outputs(obs, ran, 1, oracle.forward([cases.LAYER[:1]], cases.X3, ["tanh"]),
                               _without_bias([cases.LAYER[:1]], cases.X3, ["tanh"]))
    yield "Layer(3, 1) returns a single Value", one

    def structure() -> None:
        obs = probes.probe_layer(state, 3, 2, "tanh", None, None, False, None)
        judge_nn.layer_parameters(obs, "layer = Layer(3, 2); ps = layer.parameters()", 3, 2)
    yield "Layer(3, 2).parameters(): the neurons' parameters in order", structure


def _mlp_hypotheses(activations: list[str], wrong: tuple[list[str], ...]):
    """What an MLP ignoring biases, or mis-activating its last layer, gives."""
    return lambda: {"bias-missing-from-forward": oracle.forward(cases.MLP, cases.X2, activations, use_bias=False),
                    "mlp-last-layer": tuple(oracle.forward(cases.MLP, cases.X2, acts) for acts in wrong)}


def _mlp_cases(state: probes.State):
    def forward() -> None:
        ran = f"model = MLP(2, [3, 1]) with the check's weights; out = model(x) with x = {show(cases.X2)}"
        obs = probes.probe_mlp(state, 2, [3, 1], "tanh", None, cases.MLP, cases.X2, True, [1.0])
        judge_nn.mlp_shape(obs, ran, 2, [3, 1])
        hypotheses = _mlp_hypotheses(["tanh", "tanh"], (["tanh", "linear"],))
        judge_nn.mlp_outputs(obs, ran, 2, [3, 1], oracle.forward(cases.MLP, cases.X2, ["tanh", "tanh"]), hypotheses)
        judge_nn.mlp_gradients(obs, ran + "; out.backward()",
                               oracle.parameter_gradients(cases.MLP, cases.X2, ["tanh", "tanh"], [1.0]), hypotheses, FD)
    yield "MLP(2, [3, 1]): output and gradients", forward

    def linear_output() -> None:
        ran = "model = MLP(2, [3, 1], activation='tanh', output_activation='linear'); out = model(x)"
        obs = probes.probe_mlp(state, 2, [3, 1], "tanh", "linear", cases.MLP, cases.X2, True, [1.0])
        judge_nn.mlp_outputs(obs, ran, 2, [3, 1], oracle.forward(cases.MLP, cases.X2, ["tanh", "linear"]),
                             _mlp_hypotheses(["tanh", "linear"], (["tanh", "tanh"], ["linear", "linear"])))
    yield "MLP(..., output_activation='linear') uses it on the last layer only", linear_output

    def zero_grad() -> None:
        ran = "model = MLP(2, [3, 1]); every .grad set to 1.5; model.zero_grad()"
        obs = probes.probe_mlp(state, 2, [3, 1], "tanh", None, None, None, False, None, grads=[1.5] * 13)
        judge_nn.mlp_zero_grad(obs, ran, judge_nn.parameter_count(2, [3, 1]))
    yield "MLP.zero_grad() sets every gradient to 0", zero_grad


# -- train.py --------------------------------------------------------------------------------
def _loss_cases(state: probes.State):
    predictions, targets = [0.5, -1.25, 2.0], [1.0, -1.0, 1.5]

    def mse() -> None:
        ran = f"mse_loss(predictions, targets) with predictions = Values {show(predictions)}, targets = {show(targets)}"
        obs = probes.probe_loss(state, "mse_loss", predictions, targets)
        judge_nn.loss(obs, ran, oracle.mse(predictions, targets),
                      [2 * (p - t) / len(predictions) for p, t in zip(predictions, targets)],
                      lambda: {"mse-sum": oracle.mse(predictions, targets, mean=False)}, FD)
    yield "mse_loss: value and gradients", mse

    scores, labels = [2.0, 0.25, -0.5], [1.0, 1.0, 1.0]

    def hinge() -> None:
        ran = f"hinge_loss(scores, labels) with scores = Values {show(scores)}, labels = {show(labels)}"
        obs = probes.probe_loss(state, "hinge_loss", scores, labels)
        judge_nn.loss(obs, ran, oracle.hinge(scores, labels),
                      [(-y if 1 - y * s > 0 else 0.0) / len(scores) for s, y in zip(scores, labels)], tolerance=FD)
    yield "hinge_loss: value and gradients", hinge

    def l2() -> None:
        parameters = [0.5, -1.5, 2.0]
        ran = f"l2_regularization(parameters, alpha=0.1) with parameters = Values {show(parameters)}"
        obs = probes.probe_loss(state, "l2_regularization", parameters, None, 0.1)
        judge_nn.loss(obs, ran, 0.1 * sum(p * p for p in parameters), [0.2 * p for p in parameters], tolerance=FD)
    yield "l2_regularization: value and gradients", l2


def _training_cases(state: probes.State):
    def sgd() -> None:
        data, grads, lr = [0.5, -1.0, 2.0], [1.5, -0.5, 0.25], 0.1
        ran = f"sgd_step(ps, lr=0.1) with p.data = {show(data)}, p.grad = {show(grads)}"
        judge_nn.sgd_step(probes.probe_sgd_step(state, data, grads, lr), ran, data, grads, lr)
    yield "sgd_step moves each parameter against its gradient", sgd

    def training() -> None:
        nn, train = state.modules["nn"], state.modules["train"]
        model = nn.MLP(2, [3, 1])
        for layer, rows in zip(model.layers, cases.MLP):
            for neuron, row in zip(layer.neurons, rows):
                for w, value in zip(neuron.w, row[:-1]):
                    w.data = value
                neuron.b.data = row[-1]
        ran = "train(MLP(2, [3, 1]) with the check's weights, xs, ys, steps=3, lr=0.1) with your mse_loss"
        history = train.train(model, [list(x) for x in cases.XS], list(cases.YS), steps=3, lr=0.1,
                              loss_fn=train.mse_loss)
        got = [probes.number(getattr(h, "data", h)) for h in history] if isinstance(history, (list, tuple)) else None
        obs = {"history": got, "type": probes.type_name(history)}
        wrong = {bug: oracle.train(cases.MLP, cases.XS, cases.YS, 3, 0.1, variant)
                 for bug, variant in (("train-no-zero-grad", "no_zero_grad"),
                                      ("train-zero-after-backward", "zero_after_backward"),
                                      ("sgd-wrong-sign", "wrong_sign"))}
        judge_nn.train_history(obs, ran, 3, oracle.train(cases.MLP, cases.XS, cases.YS, 3, 0.1), wrong,
                               {"rel": 1e-5, "abs_tol": 1e-8})
    yield "train follows gradient descent step by step", training

    def accuracy() -> None:
        scores, labels = [0.5, -2.0, 1.5, -0.25], [1.0, -1.0, -1.0, 1.0]
        ran = f"accuracy(scores, labels) with scores = {show(scores)}, labels = {show(labels)}"
        judge_nn.accuracy(probes.probe_accuracy(state, scores, labels, False), ran, 0.5)
    yield "accuracy counts the right signs", accuracy


NN_TRAIN_CASES = {"neuron": _neuron_cases, "layer": _layer_cases, "mlp": _mlp_cases, "loss": _loss_cases,
                  "training": _training_cases}


def namespace_modules(namespace: dict[str, Any]) -> dict[str, Any]:
    """The student's modules as one namespace (a notebook's): every module sees every name."""
    shared = SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})
    return dict.fromkeys(MODULES, shared)


__all__ = ["SelfCheckFailed", "check_part", "modules_of_package", "namespace_modules", "report",
           "require_part"]
