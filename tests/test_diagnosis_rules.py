"""Every rule of the diagnosis catalogue, alone: it fires on evidence that shows its bug, and not
on evidence that contradicts its premise.  Every catalogued key round-trips through a result."""

from __future__ import annotations

import math

import pytest

from autograder.rubric import load_rubric
from micrograd_feedback.diagnosis import (
    BACKWARD_RULES,
    BUGS,
    ERROR_RULES,
    NN_RULES,
    OP_RULES,
    BackwardEvidence,
    OpEvidence,
    advice,
    diagnose_op,
)
from micrograd_feedback.diagnosis.catalogue import OBSERVATIONS
from micrograd_feedback.diagnosis.engine import ErrorEvidence
from micrograd_feedback.diagnosis.nn import NnEvidence
from micrograd_feedback.diagnosis.simulate import simulate
from micrograd_feedback.expressions import Expression
from micrograd_feedback.result import CheckResult, Diagnosis, PartResult, SubmissionResult

PARTS = load_rubric().parts


def op(part: str, expr: str, inputs: dict, obs: dict, expected_data: float, expected: dict, out_grad: float = 1.0,
       **more) -> OpEvidence:
    observed = {"is_value": True, "type": "Value", "data_type": "float", "reaches": dict.fromkeys(inputs, True),
                "grads": {}, **obs}
    return OpEvidence(part, frozenset(PARTS[part].members), Expression(expr), inputs, observed, expected_data, expected,
                      out_grad, **more)


def right(part: str, expr: str, inputs: dict, grads: dict, expected: dict, out_grad: float = 1.0,
          obs_extra: dict | None = None, **more):
    """An observation with the right value, every input in the graph, and these gradients."""
    from micrograd_feedback.numeric import evaluate

    data = evaluate(expr, inputs)
    return op(part, expr, inputs, {"data": data, "grads": grads, **(obs_extra or {})}, data, expected, out_grad,
              **more)


def lone_pow_wrong():
    return right("pow", "a ** 3", {"a": 1.5}, {"a": 3 * 1.5**3}, {"a": 3 * 1.5**2})


def simulated_pow():
    expr, inputs = "(a ** 2) ** 3", {"a": 1.3}
    wrong = simulate("pow-exponent-not-reduced", {"__pow__"}, expr, inputs, 1.0)
    return right("pow", expr, inputs, wrong, {"a": 6 * 1.3**5})


# rule name -> (evidence it must fire on, evidence contradicting its premise)
OP_CASES = {
    "returns_a_number": (
        lambda: op("add", "a + b", {"a": 1, "b": 2}, {"is_value": False, "data": 3.0}, 3.0, {"a": 1, "b": 1}),
        lambda: right("add", "a + b", {"a": 1, "b": 2}, {"a": 1, "b": 1}, {"a": 1, "b": 1})),
    "data_holds_a_value": (
        lambda: op("mul", "a * b", {"a": 1, "b": 2}, {"data": None, "data_type": "Value"}, 2.0, {"a": 2, "b": 1}),
        lambda: op("mul", "a * b", {"a": 1, "b": 2}, {"data": None, "data_type": "str"}, 2.0, {"a": 2, "b": 1})),
    "reflected_operands_swapped": (
        lambda: op("neg_sub", "2 - a", {"a": 1.5}, {"data": -0.5}, 0.5, {"a": -1}, swapped_data=-0.5),
        lambda: op("neg_sub", "2 - a", {"a": 1.5}, {"data": 7.0}, 0.5, {"a": -1}, swapped_data=-0.5)),
    "tanh_overflows_far_out": (
        lambda: op("tanh", "a.tanh()", {"a": 800.0}, {"data": math.nan}, 1.0, {"a": 0.0}),
        lambda: op("tanh", "a.tanh()", {"a": 0.5}, {"data": math.nan}, math.tanh(0.5), {"a": 0.79})),
    "negation_leaves_the_graph": (
        lambda: op("neg_sub", "-a", {"a": 2.0}, {"data": -2.0, "reaches": {"a": False}}, -2.0, {"a": -1}),
        lambda: op("neg_sub", "a - b", {"a": 2.0, "b": 1.0}, {"data": 1.0, "reaches": {"a": False, "b": True}},
                   1.0, {"a": 1, "b": -1})),
    "numerator_leaves_the_graph": (
        lambda: op("truediv", "a / b", {"a": 2.0, "b": 4.0}, {"data": 0.5, "reaches": {"a": False, "b": True}},
                   0.5, {"a": 0.25, "b": -0.125}),
        lambda: op("truediv", "a / b", {"a": 2.0, "b": 4.0}, {"data": 0.5, "reaches": {"a": True, "b": False}},
                   0.5, {"a": 0.25, "b": -0.125})),
    "operand_not_in_the_graph": (
        lambda: op("add", "a + b", {"a": 1, "b": 2}, {"data": 3.0, "reaches": {"a": False, "b": True}}, 3.0,
                   {"a": 1, "b": 1}),
        lambda: op("add", "a + b", {"a": 1, "b": 2}, {"data": 4.0, "reaches": {"a": False, "b": True}}, 3.0,
                   {"a": 1, "b": 1})),
    "backward_attribute_instead": (
        lambda: op("relu", "a.relu()", {"a": 1.0}, {"data": 1.0, "grads": {"a": 0.0}, "has_backward_attribute": True},
                   1.0, {"a": 1.0}),
        lambda: op("relu", "a.relu()", {"a": 1.0}, {"data": 1.0, "grads": {"a": 0.0}}, 1.0, {"a": 1.0})),
    "backward_never_set": (
        lambda: op("exp", "a.exp()", {"a": 0.0}, {"data": 1.0, "grads": {"a": 0.0}, "backward_unset": True}, 1.0,
                   {"a": 1.0}),
        lambda: op("exp", "a.exp()", {"a": 0.0}, {"data": 2.0, "grads": {"a": 0.0}, "backward_unset": True}, 1.0,
                   {"a": 1.0})),
    "negation_alone_leaves_the_graph": (
        lambda: right("neg_sub", "a - b", {"a": 2.0, "b": 1.0}, {"a": 1.0, "b": 0.0}, {"a": 1.0, "b": -1.0},
                      ask=lambda e, i: {"is_value": True, "reaches": {"a": False}}),
        lambda: right("neg_sub", "a - b", {"a": 2.0, "b": 1.0}, {"a": 1.0, "b": 0.0}, {"a": 1.0, "b": -1.0},
                      ask=lambda e, i: {"is_value": True, "reaches": {"a": True}})),
    "division_alone_leaves_the_numerator": (
        lambda: right("truediv", "a / b", {"a": 2.0, "b": 4.0}, {"a": 0.0, "b": 0.0}, {"a": 0.25, "b": -0.125},
                      ask=lambda e, i: {"is_value": True, "reaches": {"x": False, "y": True}}),
        lambda: right("truediv", "a / b", {"a": 2.0, "b": 4.0}, {"a": 0.0, "b": 0.0}, {"a": 0.25, "b": -0.125},
                      ask=lambda e, i: None)),
    "stated_gradients": (
        lambda: right("relu", "a.relu()", {"a": 0.0}, {"a": 0.7}, {"a": 0.0}, 0.7,
                      bug_grads={"relu-grad-at-zero": {"a": 0.7}}),
        lambda: right("relu", "a.relu()", {"a": 0.0}, {"a": 0.3}, {"a": 0.0}, 0.7,
                      bug_grads={"relu-grad-at-zero": {"a": 0.7}})),
    "reuse_loses_a_contribution": (
        lambda: right("add", "a + a", {"a": 1.5}, {"a": 1.0}, {"a": 2.0}, separately_ok=lambda: True),
        lambda: right("add", "a + b", {"a": 1.5, "b": 1.0}, {"a": 0.5, "b": 1.0}, {"a": 1.0, "b": 1.0},
                      separately_ok=lambda: True)),
    "gradient_not_scaled_by_out_grad": (
        lambda: right("mul", "a * b", {"a": 2.0, "b": 3.0}, {"a": 3.0, "b": 2.0}, {"a": 6.0, "b": 4.0}, 2.0),
        lambda: right("mul", "a * b", {"a": 2.0, "b": 3.0}, {"a": 3.0, "b": 2.0}, {"a": 3.0, "b": 2.0}, 1.0)),
    "exp_gradient_is_the_input": (
        lambda: right("exp", "a.exp()", {"a": 1.5}, {"a": 1.5}, {"a": math.exp(1.5)}),
        lambda: right("exp", "a.exp()", {"a": 1.5}, {"a": 0.0}, {"a": math.exp(1.5)})),
    "one_simulated_bug": (simulated_pow, lambda: right("pow", "(a ** 2) ** 3", {"a": 1.3}, {"a": 0.0},
                                                       {"a": 6 * 1.3**5})),
    "power_rule_without_reduction": (lone_pow_wrong,
                                     lambda: right("pow", "a ** 3 + a", {"a": 1.5}, {"a": 0.0}, {"a": 7.75})),
    "lone_tanh_gradient_wrong": (
        lambda: right("tanh", "a.tanh()", {"a": 0.5}, {"a": 0.75}, {"a": 1 - math.tanh(0.5) ** 2}),
        lambda: right("tanh", "(a * b).tanh()", {"a": 0.5, "b": 1.0}, {"a": 0.0, "b": 0.0}, {"a": 0.79, "b": 0.39})),
    "lone_relu_at_zero_gradient_wrong": (
        lambda: right("relu", "a.relu()", {"a": 0.0}, {"a": 1.0}, {"a": 0.0}),
        lambda: right("relu", "a.relu()", {"a": 1.0}, {"a": 0.0}, {"a": 1.0})),
    # structure, before any formula
    "a_number_in_prev": (
        lambda: right("pow", "a ** 3", {"a": 1.5}, {"a": 6.75}, {"a": 6.75},
                      obs_extra={"foreign_in_prev": [{"type": "int", "value": 3.0}]}),
        lambda: right("pow", "a ** 3", {"a": 1.5}, {"a": 6.75}, {"a": 6.75}, obs_extra={"foreign_in_prev": []})),
    "operands_kept_elsewhere": (
        lambda: op("add", "a + b", {"a": 1, "b": 2}, {"data": 3.0, "reaches": {"a": False, "b": False},
                                                     "operands": {"prev": False, "found_in": "_children"}},
                   3.0, {"a": 1, "b": 1}),
        lambda: op("add", "a + b", {"a": 1, "b": 2}, {"data": 3.0, "reaches": {"a": False, "b": False},
                                                     "operands": {"prev": True, "found_in": None}},
                   3.0, {"a": 1, "b": 1})),
    "a_flag_switches_gradients_off": (
        lambda: right("mul", "a * b", {"a": 2.0, "b": 3.0}, {"a": 0.0, "b": 0.0}, {"a": 3.0, "b": 2.0},
                      obs_extra={"grad_flags": ["requires_grad"]},
                      ask=lambda e, i, **o: {"grads": {"a": 3.0, "b": 2.0} if o.get("enable") else {"a": 0, "b": 0}}),
        lambda: right("mul", "a * b", {"a": 2.0, "b": 3.0}, {"a": 0.0, "b": 0.0}, {"a": 3.0, "b": 2.0},
                      obs_extra={"grad_flags": ["requires_grad"]},
                      ask=lambda e, i, **o: {"grads": {"a": 0.0, "b": 0.0}})),
    "mul_uses_the_gradient": (  # a * b + a with out.grad 2: the bug gives b.grad = 2 * 2, not a * 2 = 3
        lambda: right("mul", "a * b", {"a": 1.5, "b": 3.0}, {"a": 0.0, "b": 0.0}, {"a": 6.0, "b": 3.0}, 2.0,
                      ask=lambda e, i, **o: {"grads": {"a": 2.0, "b": 4.0}}),
        lambda: right("mul", "a * b", {"a": 1.5, "b": 3.0}, {"a": 0.0, "b": 0.0}, {"a": 6.0, "b": 3.0}, 2.0,
                      ask=lambda e, i, **o: {"grads": {"a": 2.0, "b": 0.0}})),
    "no_gradient_at_all": (
        lambda: right("tanh", "a.tanh()", {"a": 0.5}, {"a": 0.0}, {"a": 1 - math.tanh(0.5) ** 2}),
        lambda: right("relu", "a.relu()", {"a": -1.0}, {"a": 0.0}, {"a": 0.0})),
    "lone_relu_gradient_wrong": (
        lambda: right("relu", "a.relu()", {"a": -1.0}, {"a": 1.0}, {"a": 0.0}),
        lambda: right("relu", "a.relu()", {"a": 0.0}, {"a": 1.0}, {"a": 0.0})),
    "returns_nothing": (
        lambda: op("neg_sub", "-a", {"a": 1.0}, {"is_value": False, "type": "NoneType", "data": None}, -1.0, {"a": -1}),
        lambda: op("neg_sub", "-a", {"a": 1.0}, {"is_value": False, "type": "float", "data": -1.0}, -1.0, {"a": -1})),
    "prev_cannot_be_walked": (
        lambda: op("add", "a + b", {"a": 1, "b": 2}, {"data": 3.0, "reaches": {"a": False, "b": False},
                                                     "prev_type": "Children"}, 3.0, {"a": 1, "b": 1}),
        lambda: op("add", "a + b", {"a": 1, "b": 2}, {"data": 3.0, "reaches": {"a": False, "b": False},
                                                     "prev_type": None}, 3.0, {"a": 1, "b": 1})),
}

ERROR_CASES = {
    "number_on_the_left_fails": (ErrorEvidence("add", "TypeError", "unsupported operand type(s) for +: 'int' and 'Value'"),
                                 ErrorEvidence("add", "TypeError", "'Value' object is not iterable")),
    "number_used_as_a_value": (ErrorEvidence("mul", "AttributeError", "'float' object has no attribute 'data'"),
                               ErrorEvidence("mul", "AttributeError", "'Value' object has no attribute 'dat'")),
    "backward_assigned_under_slots": (
        ErrorEvidence("relu", "AttributeError", "'Value' object attribute 'backward' is read-only"),
        ErrorEvidence("relu", "AttributeError", "'Value' object has no attribute 'backward'")),
    "tanh_raises_overflow": (ErrorEvidence("tanh", "OverflowError", "math range error"),
                             ErrorEvidence("tanh", "ValueError", "math domain error")),
    "stub_not_replaced": (ErrorEvidence("add", "NotImplementedError", ""), ErrorEvidence("add", "RuntimeError", "")),
    "a_contract_method_is_missing": (ErrorEvidence("exp", "AttributeError", "'Value' object has no attribute 'exp'"),
                                     ErrorEvidence("exp", "AttributeError", "'int' object has no attribute 'exp'")),
    "number_walked_as_a_node": (ErrorEvidence("graphs", "AttributeError", "'int' object has no attribute '_prev'"),
                                ErrorEvidence("graphs", "AttributeError", "'int' object has no attribute 'data'")),
    "exponent_wrapped_into_a_value": (
        ErrorEvidence("pow", "TypeError", "unsupported operand type(s) for ** or pow(): 'float' and 'Value'"),
        ErrorEvidence("pow", "TypeError", "unsupported operand type(s) for ** or pow(): 'float' and 'float'")),
    "an_operation_returned_none": (
        ErrorEvidence("add", "TypeError", "unsupported operand type(s) for +: 'float' and 'NoneType'"),
        ErrorEvidence("add", "TypeError", "unsupported operand type(s) for +: 'float' and 'str'")),
    "grad_defined_as_a_method": (
        ErrorEvidence("mul", "TypeError", "unsupported operand type(s) for +=: 'method' and 'float'"),
        ErrorEvidence("mul", "TypeError", "unsupported operand type(s) for +=: 'list' and 'float'")),
    "backward_closure_takes_an_argument": (
        ErrorEvidence("exp", "TypeError", "Value.exp.<locals>._backward() missing 1 required positional argument: "
                                          "'self'"),
        ErrorEvidence("exp", "TypeError", "Value.exp() missing 1 required positional argument: 'self'")),
    "constructor_cannot_take_the_contracts_arguments": (
        ErrorEvidence("add", "TypeError", "Value.__init__() takes from 2 to 3 positional arguments but 4 were given"),
        ErrorEvidence("add", "TypeError", "Value.__add__() takes 2 positional arguments but 3 were given")),
}

CHAIN = {"r": {"children": ["m"]}, "m": {"children": ["x", "y"]}, "x": {"children": []}, "y": {"children": []}}
WANT = {"r": 1.0, "m": 2.0, "x": 6.0, "y": 4.0}
BACKWARD_CASES = {
    "a_node_is_called_twice": (BackwardEvidence(CHAIN, "r", ["r", "m", "m"], WANT, WANT),
                               BackwardEvidence(CHAIN, "r", ["r", "m"], WANT, WANT)),
    "nothing_flows_from_the_root": (
        BackwardEvidence(CHAIN, "r", ["r", "m"], {"r": 0.0, "m": 0.0, "x": 0.0, "y": 0.0}, WANT),
        BackwardEvidence(CHAIN, "r", ["r", "m"], WANT, WANT)),
    "a_reachable_node_is_never_called": (BackwardEvidence(CHAIN, "r", ["r"], WANT, WANT),
                                         BackwardEvidence(CHAIN, "r", ["r", "m"], WANT, WANT)),
    "every_child_before_its_parent": (BackwardEvidence(CHAIN, "r", ["m", "r"], WANT, WANT),
                                      BackwardEvidence(CHAIN, "r", ["r", "m"], WANT, WANT)),
    "not_one_backward_is_called": (BackwardEvidence(CHAIN, "r", [], {"r": 1.0, "m": 0.0, "x": 0.0, "y": 0.0}, WANT),
                                   BackwardEvidence(CHAIN, "r", ["r"], WANT, WANT)),
    "some_child_before_its_parent": (BackwardEvidence(CHAIN, "r", ["m", "r"], WANT, WANT),
                                     BackwardEvidence(CHAIN, "r", ["r", "m"], WANT, WANT)),
}

NN_CASES = {
    "one_weight_object_repeated": (NnEvidence("forward", {"weights_shared": True}),
                                   NnEvidence("forward", {"weights_shared": False})),
    "parameters_without_the_bias": (
        NnEvidence("parameters", {"weights_in_params": True, "biases_in_params": False}),
        NnEvidence("forward", {"weights_in_params": True, "biases_in_params": False})),
    "single_output_in_a_list": (NnEvidence("single_output", {"returns_sequence": True, "n_outputs": 1}),
                                NnEvidence("single_output", {"returns_sequence": True, "n_outputs": 2})),
    "zero_grad_changes_nothing": (
        NnEvidence("zero_grad", {"grads": [1.0, 2.0], "grads_after_zero_grad": [1.0, 2.0]}),
        NnEvidence("zero_grad", {"grads": [1.0, 2.0], "grads_after_zero_grad": [0.0, 2.0]})),
    "known_wrong_shape": (NnEvidence("shape", {"shape": [[2], [2]]}, shape_if={"mlp-last-layer": [[2], [2]]}),
                          NnEvidence("shape", {"shape": [[2], [3]]}, shape_if={"mlp-last-layer": [[2], [2]]})),
    "known_wrong_outputs": (
        NnEvidence("forward", {"outputs": [0.5]}, outputs_if={"bias-missing-from-forward": [0.5]}),
        NnEvidence("forward", {"outputs": [0.7]}, outputs_if={"bias-missing-from-forward": [0.5]})),
}


def expected_key(rule, evidence) -> str:
    found = rule.holds(evidence)
    if isinstance(found, Diagnosis):
        return found.key
    return found if isinstance(found, str) else rule.key


@pytest.mark.parametrize("rules, cases", [(OP_RULES, OP_CASES), (ERROR_RULES, ERROR_CASES),
                                          (BACKWARD_RULES, BACKWARD_CASES), (NN_RULES, NN_CASES)],
                         ids=["operations", "errors", "backward", "nn"])
def test_every_rule_has_its_own_cases(rules, cases):
    assert {rule.name for rule in rules} == set(cases)


def _evidence(maker):
    return maker() if callable(maker) else maker


@pytest.mark.parametrize("rule", [*OP_RULES, *ERROR_RULES, *BACKWARD_RULES, *NN_RULES], ids=lambda r: r.name)
def test_a_rule_fires_on_its_bug_and_not_when_its_premise_is_false(rule):
    cases = {**OP_CASES, **ERROR_CASES, **BACKWARD_CASES, **NN_CASES}
    shows, contradicts = (_evidence(c) for c in cases[rule.name])
    assert rule.holds(shows), f"{rule.name} does not fire on its own bug"
    assert expected_key(rule, shows) in BUGS or expected_key(rule, shows) in OBSERVATIONS
    assert not rule.holds(contradicts), f"{rule.name} fires on evidence that contradicts it"


def test_rules_are_applied_by_priority():
    """A lone ``a ** 3`` with the unreduced exponent: the simulation names it first."""
    assert diagnose_op(lone_pow_wrong()).key == "pow-exponent-not-reduced"
    assert diagnose_op(right("add", "a + b", {"a": 1, "b": 2}, {"a": 1, "b": 1}, {"a": 1, "b": 1})) is None


@pytest.mark.parametrize("key", sorted(BUGS))
def test_every_key_round_trips_through_a_result(key):
    diagnosis = advice(key)
    assert diagnosis.key == key and f"[{key}]" not in diagnosis.text()  # a student reads advice, not keys
    check = CheckResult("c", "add", status="failed", ran="r", expected="e", got="g", diagnoses=(diagnosis,))
    result = SubmissionResult({"add": PartResult("add", "Addition", 0.0, 6.0)}, [check], 6.0)
    again = SubmissionResult.from_json(result.to_json())
    assert again.checks[0].keys() == [key]
    assert again.diagnosis_keys() == {key}
    assert again.to_json()["tests"][0]["diagnoses"][0]["key"] == key
    assert diagnosis.advice in again.checks[0].message
