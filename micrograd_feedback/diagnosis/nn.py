"""Rules that name a bug of nn.py or train.py.

Most compare an observation with *hypotheses*: what a known wrong program
would have produced, computed by the check with its trusted oracle (the same
network without biases, the sum instead of the mean, a loop without
``zero_grad``).  A bug is named only when the evidence points to exactly one.
Structure comes first: it explains every downstream symptom.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..numeric import close
from ..result import Diagnosis
from .catalogue import advice
from .engine import Rule, first_match, register

NN_RULES: list[Rule] = []
nn_rule = lambda key, priority: register(NN_RULES, key, priority)  # noqa: E731


@dataclass
class NnEvidence:
    """``aspect``: what the check looked at ("parameters", "shape", "forward", "gradients",
    "single_output" or "zero_grad"); ``obs``: the nn probe's observation (structure facts come
    with every one); ``outputs_if`` / ``shape_if``: bug key -> the outputs / layer shape that bug
    would give (a tuple of options when it has several forms)."""

    aspect: str
    obs: dict
    outputs_if: dict[str, object] = field(default_factory=dict)
    shape_if: dict[str, object] = field(default_factory=dict)


@nn_rule("shared-weights", 10)
def one_weight_object_repeated(e: NnEvidence) -> bool:
    return bool(e.obs.get("weights_shared"))


@nn_rule("bias-missing-from-parameters", 20)
def parameters_without_the_bias(e: NnEvidence) -> bool:
    return e.aspect in ("parameters", "zero_grad") and bool(e.obs.get("weights_in_params")) and \
        e.obs.get("biases_in_params") is False


@nn_rule("layer-always-list", 30)
def single_output_in_a_list(e: NnEvidence) -> bool:
    return e.aspect == "single_output" and bool(e.obs.get("returns_sequence")) and e.obs.get("n_outputs") == 1


@nn_rule("zero-grad-rebinds", 40)
def zero_grad_changes_nothing(e: NnEvidence) -> bool:
    before, after = e.obs.get("grads"), e.obs.get("grads_after_zero_grad")
    return e.aspect == "zero_grad" and isinstance(before, list) and before == after and any(g != 0 for g in before)


@nn_rule("*", 50)
def known_wrong_shape(e: NnEvidence) -> str | None:
    if e.aspect == "zero_grad" or "shape" not in e.obs:
        return None
    known = [bug for bug, shape in e.shape_if.items() if e.obs["shape"] == shape]
    return known[0] if len(known) == 1 else None


@nn_rule("*", 60)
def known_wrong_outputs(e: NnEvidence) -> str | None:
    if e.aspect not in ("forward", "gradients", "single_output"):
        return None
    return one_matching(e.obs.get("outputs"), e.outputs_if)


def diagnose_nn(aspect: str, obs: dict, outputs_if: Mapping[str, object] | None = None,
                shape_if: Mapping[str, object] | None = None) -> Diagnosis | None:
    """Name the bug behind a failed nn check (see ``NnEvidence``)."""
    return first_match(NN_RULES, "nn", NnEvidence(aspect, obs, dict(outputs_if or {}), dict(shape_if or {})))


def diagnose_loss(got: float | None, value_if: Mapping[str, object]) -> Diagnosis | None:
    """Name the bug behind a wrong loss value (e.g. ``{"mse-sum": the sum}``)."""
    key = one_matching(got, value_if)
    return advice(key) if key else None


def diagnose_training(got: list | None, observed_if: Mapping[str, object]) -> Diagnosis | None:
    """Name the bug behind a wrong loss history or ``sgd_step`` result.

    ``observed_if``: bug key -> what the known wrong loop would have produced
    (a torch replica of it), e.g. ``"train-no-zero-grad"`` -> its loss history.
    """
    key = one_matching(got, observed_if, rel=1e-7, abs_tol=1e-12)
    return advice(key) if key else None


def _all_close(got, expected, rel: float, abs_tol: float) -> bool:
    if isinstance(expected, (int, float)):
        return close(got, float(expected), rel=rel, abs_tol=abs_tol)
    return (isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected)
            and all(close(g, e, rel=rel, abs_tol=abs_tol) for g, e in zip(got, expected)))


def one_matching(got, hypotheses: Mapping[str, object] | None, rel: float = 1e-6, abs_tol: float = 1e-9) -> str | None:
    """The bug whose hypothesis matches ``got``, when exactly one bug does.

    ``hypotheses`` maps a bug key to the expected observation (a number or a list
    of numbers), or to a tuple of such alternatives (several wrong programs can
    show the same bug).
    """
    matched = set()
    for bug, predicted in (hypotheses or {}).items():
        options = predicted if isinstance(predicted, tuple) else (predicted,)
        if any(_all_close(got, option, rel, abs_tol) for option in options):
            matched.add(bug)
    return matched.pop() if len(matched) == 1 else None
