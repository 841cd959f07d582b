"""Engine mutants: each is one catalogued student bug, as a small text patch of ``solutions/engine.py``.

``tests/test_grader_engine.py`` applies each patch at test time and grades the
result: it must lose points in ``parts`` (and nowhere else except ``graphs``,
the integration part that uses every op and ``backward``), and the report must
name the bug ``diagnosis`` (a key of ``autograder.diagnosis.BUGS``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    patches: tuple[tuple[str, str], ...]  # (old, new): each old text occurs exactly once in the reference
    parts: tuple[str, ...]  # the parts that must lose points
    diagnosis: str  # the catalogued bug the report must name


def _assign(op_line: str) -> tuple[str, str]:
    """``x.grad += ...`` -> ``x.grad = ...`` on one line of the reference."""
    return op_line, op_line.replace("+=", "=", 1)


SLOTS = '    __slots__ = ("data", "grad", "_backward", "_prev", "_op", "label")\n'
RELU_SET = "            self.grad += (out.data > 0) * out.grad\n\n        out._backward = _backward"

MUTANTS: tuple[Mutant, ...] = (
    # relu assigning out.backward: on the slotted reference it raises; without slots it is silently ignored.
    Mutant("relu_out_backward_slots", ((RELU_SET, RELU_SET.replace("out._backward", "out.backward")),),
           ("relu",), "backward-not-underscore"),
    Mutant("relu_out_backward_dict", ((RELU_SET, RELU_SET.replace("out._backward", "out.backward")), (SLOTS, "")),
           ("relu",), "backward-not-underscore"),
    Mutant("truediv_raw_data",
           (("        return self * other**-1\n",
             "        return self.data / (other.data if isinstance(other, Value) else other)\n"),),
           ("truediv",), "not-a-value"),
    Mutant("truediv_numerator_detached",
           (("        return self * other**-1\n", "        return self.data * other**-1\n"),),
           ("truediv",), "truediv-numerator-detached"),
    Mutant("add_assign", (_assign("            self.grad += out.grad\n"),), ("add",), "assign-not-accumulate"),
    Mutant("mul_assign", (_assign("            self.grad += other.data * out.grad\n"),), ("mul",),
           "assign-not-accumulate"),
    Mutant("pow_assign", (_assign("            self.grad += other * self.data ** (other - 1) * out.grad\n"),),
           ("pow",), "assign-not-accumulate"),
    Mutant("exp_assign", (_assign("            self.grad += out.data * out.grad\n"),), ("exp",),
           "assign-not-accumulate"),
    Mutant("tanh_assign", (_assign("            self.grad += (1 - t**2) * out.grad\n"),), ("tanh",),
           "assign-not-accumulate"),
    Mutant("relu_assign", (_assign("            self.grad += (out.data > 0) * out.grad\n"),), ("relu",),
           "assign-not-accumulate"),
    Mutant("no_radd", (("    def __radd__(self, other):", "    def _radd(self, other):"),), ("add",),
           "missing-reflected"),
    Mutant("no_rmul", (("    def __rmul__(self, other):", "    def _rmul(self, other):"),), ("mul",),
           "missing-reflected"),
    Mutant("no_rsub", (("    def __rsub__(self, other):", "    def _rsub(self, other):"),), ("neg_sub",),
           "missing-reflected"),
    Mutant("no_rtruediv", (("    def __rtruediv__(self, other):", "    def _rtruediv(self, other):"),),
           ("truediv",), "missing-reflected"),
    Mutant("rsub_swapped", (("        return other + (-self)\n", "        return self - other\n"),), ("neg_sub",),
           "reflected-swapped"),
    Mutant("rtruediv_swapped", (("        return other * self**-1\n", "        return self / other\n"),),
           ("truediv",), "reflected-swapped"),
    Mutant("add_not_wrapped",
           ((("        other = other if isinstance(other, Value) else Value(other)\n"
             "        out = Value(self.data + other.data"), "        out = Value(self.data + other.data"),),
           ("add",), "number-not-wrapped"),
    Mutant("mul_not_wrapped",
           ((("        other = other if isinstance(other, Value) else Value(other)\n"
             "        out = Value(self.data * other.data"), "        out = Value(self.data * other.data"),),
           ("mul",), "number-not-wrapped"),
    Mutant("neg_detached", (("        return self * -1\n", "        return Value(-self.data)\n"),), ("neg_sub",),
           "neg-detached"),
    Mutant("pow_not_reduced",
           (("other * self.data ** (other - 1) * out.grad", "other * self.data ** other * out.grad"),),
           ("pow",), "pow-exponent-not-reduced"),
    Mutant("pow_no_chain",
           (("other * self.data ** (other - 1) * out.grad", "other * self.data ** (other - 1)"),),
           ("pow",), "missing-chain-factor"),
    Mutant("mul_no_chain",
           (("            self.grad += other.data * out.grad\n            other.grad += self.data * out.grad\n",
             "            self.grad += other.data\n            other.grad += self.data\n"),),
           ("mul",), "missing-chain-factor"),
    Mutant("exp_grad_uses_input", (("self.grad += out.data * out.grad", "self.grad += self.data * out.grad"),),
           ("exp",), "exp-grad-uses-input"),
    Mutant("tanh_overflow",
           (("        t = math.tanh(self.data)\n",
             "        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)\n"),),
           ("tanh",), "tanh-overflow"),
    Mutant("tanh_grad_wrong", (("(1 - t**2) * out.grad", "(1 - self.data**2) * out.grad"),), ("tanh",),
           "tanh-grad"),
    Mutant("relu_grad_one_at_zero", (("self.grad += (out.data > 0) * out.grad", "self.grad += (self.data >= 0) * out.grad"),),
           ("relu",), "relu-grad-at-zero"),
    # backward: preorder from the root (each node once, but not in topological order)
    Mutant("backward_no_topo",
           (("            if inputs_done:\n                topo.append(node)\n",
             "            if inputs_done:\n                pass\n"),
            ("                visited.add(node)\n", "                visited.add(node)\n                topo.append(node)\n"),
            ("        for node in reversed(topo):", "        for node in topo:")),
           ("backward",), "backward-no-topo"),
    Mutant("backward_no_visited", (("            elif node not in visited:", "            elif True:"),),
           ("backward",), "backward-no-visited"),
    Mutant("backward_not_reversed", (("        for node in reversed(topo):", "        for node in topo:"),),
           ("backward",), "backward-not-reversed"),
    Mutant("exp_backward_never_set",
           (("            self.grad += out.data * out.grad\n\n        out._backward = _backward\n",
             "            self.grad += out.data * out.grad\n\n"),),
           ("exp",), "backward-never-set"),
    Mutant("exp_data_is_value",
           (('        out = Value(math.exp(self.data), (self,), "exp")',
             '        out = Value(Value(math.exp(self.data)), (self,), "exp")'),),
           ("exp",), "data-is-value"),
    # backward: only the root and its direct inputs pass their gradient on
    Mutant("backward_skips_nodes",
           (("stack.extend((child, False) for child in node._prev)",
             "stack.extend((child, False) for child in node._prev if node is self)"),),
           ("backward",), "backward-skips-nodes"),
    Mutant("backward_no_seed", (("        self.grad = 1.0\n        for node", "        for node"),), ("backward",),
           "backward-no-seed"),
)
