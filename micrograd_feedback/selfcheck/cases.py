"""The public cases: small, fixed, and aimed at the classic bugs.

Every operation is checked with ``out.grad`` other than 1 (a missing chain
factor shows), with a value used twice (``=`` instead of ``+=`` shows), with
a number on either side (a missing or swapped reflected method shows) and in
a diamond or a chain; each case uses only the part's own operation where it
can, so that one bug fails its own part first.  Operations are driven by
calling ``_backward`` node by node, so they can be checked before
``backward`` is written.  The hidden grader's cases are other ones, drawn
from a secret seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OpCase:
    name: str
    expr: str
    inputs: dict[str, float]
    out_grad: float = 1.0
    swapped: str | None = None  # the same with the operands swapped: what a swapped reflected method gives
    expected_grads: dict[str, float] | None = None  # where finite differences do not apply (a kink)
    bug_grads: dict[str, dict[str, float]] = field(default_factory=dict)


A, B = 1.5, -2.25  # inputs away from 0, 1 and every kink
G = -1.75  # an out.grad other than 1

OPERATIONS: dict[str, list[OpCase]] = {
    "add": [
        OpCase("a + b", "a + b", {"a": A, "b": B}),
        OpCase("a + b with out.grad != 1", "a + b", {"a": A, "b": B}, G),
        OpCase("a + number", "a + 2.5", {"a": A}, G),
        OpCase("number + a", "2.5 + a", {"a": A}, G),
        OpCase("a + a (a used twice)", "a + a", {"a": A}, G),
        OpCase("a + b + a (a used by two nodes)", "a + b + a", {"a": A, "b": B}, G),
        OpCase("a diamond: c = a + b; c + (c + a)", "(c := a + b) + (c + a)", {"a": A, "b": B}, G),
        OpCase("a chain of 40 additions", " + ".join(["a"] * 40), {"a": A}, G),
    ],
    "mul": [
        OpCase("a * b", "a * b", {"a": A, "b": B}),
        OpCase("a * b with out.grad != 1", "a * b", {"a": A, "b": B}, G),
        OpCase("a * number", "a * 2.5", {"a": A}, G),
        OpCase("number * a", "2.5 * a", {"a": A}, G),
        OpCase("a * a (a used twice)", "a * a", {"a": A}, G),
        OpCase("a * b * a (a used by two nodes)", "a * b * a", {"a": A, "b": B}, G),
        OpCase("a diamond: c = a * b; c * (c * a)", "(c := a * b) * (c * a)", {"a": A, "b": B}, G),
    ],
    "pow": [
        OpCase("a ** 2", "a ** 2", {"a": A}),
        OpCase("a ** 3 with out.grad != 1", "a ** 3", {"a": A}, G),
        OpCase("a ** -1", "a ** -1", {"a": B}, G),
        OpCase("a ** 0.5", "a ** 0.5", {"a": A}, G),
        OpCase("(a ** 2) ** 3 (an intermediate node)", "(a ** 2) ** 3", {"a": A}, G),
        OpCase("a ** 2 + a ** 3 (a used twice)", "a ** 2 + a ** 3", {"a": A}, G),
    ],
    "neg_sub": [
        OpCase("-a", "-a", {"a": A}, G),
        OpCase("a - b", "a - b", {"a": A, "b": B}),
        OpCase("a - b with out.grad != 1", "a - b", {"a": A, "b": B}, G),
        OpCase("a - number", "a - 2.5", {"a": A}, G),
        OpCase("number - a", "2.5 - a", {"a": A}, G, swapped="a - 2.5"),
        OpCase("a - a (a used twice)", "a - a", {"a": A}, G),
        OpCase("-(-a)", "-(-a)", {"a": A}, G),
    ],
    "truediv": [
        OpCase("a / b", "a / b", {"a": A, "b": B}),
        OpCase("a / b with out.grad != 1", "a / b", {"a": A, "b": B}, G),
        OpCase("a / number", "a / 2.5", {"a": A}, G),
        OpCase("number / a", "2.5 / a", {"a": A}, G, swapped="a / 2.5"),
        OpCase("a / a (a used twice)", "a / a", {"a": A}, G),
    ],
    "exp": [
        OpCase("a.exp()", "a.exp()", {"a": 0.5}),
        OpCase("a.exp() with out.grad != 1", "a.exp()", {"a": 0.5}, G),
        OpCase("a.exp().exp() (an intermediate node)", "a.exp().exp()", {"a": -0.5}, G),
        OpCase("a.exp() + a.exp() (a used twice)", "a.exp() + a.exp()", {"a": 0.5}, G),
    ],
    "tanh": [
        OpCase("a.tanh()", "a.tanh()", {"a": 0.5}),
        OpCase("a.tanh() with out.grad != 1", "a.tanh()", {"a": -0.8}, G),
        OpCase("a.tanh().tanh() (an intermediate node)", "a.tanh().tanh()", {"a": 0.9}, G),
        OpCase("a.tanh() + a.tanh() (a used twice)", "a.tanh() + a.tanh()", {"a": 0.5}, G),
        OpCase("Value(1000.0).tanh() (no OverflowError)", "a.tanh()", {"a": 1000.0}, G),
        OpCase("Value(-1000.0).tanh() (no OverflowError)", "a.tanh()", {"a": -1000.0}, G),
    ],
    "relu": [
        OpCase("a.relu() for a > 0", "a.relu()", {"a": A}, G),
        OpCase("a.relu() for a < 0", "a.relu()", {"a": B}, G),
        OpCase("a.relu() at exactly 0 (gradient 0, as in PyTorch)", "a.relu()", {"a": 0.0}, G,
               expected_grads={"a": 0.0}, bug_grads={"relu-grad-at-zero": {"a": G}}),
        OpCase("a.relu().relu() (an intermediate node)", "a.relu().relu()", {"a": A}, G),
        OpCase("a.relu() + a.relu() (a used twice)", "a.relu() + a.relu()", {"a": A}, G),
    ],
}


def operation_cases(part: str) -> list[OpCase]:
    """The public cases of an operation: its own above, or, for an operation the course defines by its
    rule alone, the same kinds of case made for its method and domain."""
    if part in OPERATIONS:
        return OPERATIONS[part]
    from ..modules import PARTS

    spec = PARTS[part]
    m, positive = spec.members[0], spec.domain == "positive"
    b = 0.75 if positive else B
    return [
        OpCase(f"a.{m}()", f"a.{m}()", {"a": A}),
        OpCase(f"a.{m}() with out.grad != 1", f"a.{m}()", {"a": 0.5 if positive else -0.8}, G),
        OpCase(f"(a * b).{m}() (an intermediate node)", f"(a * b).{m}()", {"a": A, "b": b}, G),
        OpCase(f"a.{m}() + a.{m}() (a used twice)", f"a.{m}() + a.{m}()", {"a": A}, G),
        OpCase(f"a.{m}() * a (a used by two nodes)", f"a.{m}() * a", {"a": A}, G),
        OpCase(f"2.5 * a.{m}() (a number on the left)", f"2.5 * a.{m}()", {"a": A}, G),
    ]


def _graph(edges: list[tuple[str, list[str]]]) -> dict[str, dict]:
    """A graph spec (children listed before parents), with fixed data and local derivatives."""
    nodes: dict[str, dict] = {}
    for i, (name, children) in enumerate(edges):
        nodes[name] = {"data": round(0.5 + 0.25 * i, 2), "children": children,
                       "local": [round(0.75 + 0.5 * ((i + k) % 3), 2) for k in range(len(children))]}
    return nodes


def _ladder(levels: int) -> list[tuple[str, list[str]]]:
    edges: list[tuple[str, list[str]]] = [("x0", [])]
    for i in range(levels):
        edges += [(f"l{i}", []), (f"p{i}", [f"x{i}"]), (f"q{i}", [f"x{i}", f"l{i}"]), (f"x{i + 1}", [f"p{i}", f"q{i}"])]
    return edges


def _chain(depth: int) -> list[tuple[str, list[str]]]:
    edges: list[tuple[str, list[str]]] = [("n0", [])]
    edges += [(f"n{i}", [f"n{i - 1}"]) for i in range(1, depth)]
    return [*edges, ("root", [f"n{depth - 1}", "n0"])]


# name -> (graph, root)
BACKWARD: dict[str, tuple[dict[str, dict], str]] = {
    "a diamond (a node used by two others)": (
        _graph([("x", []), ("s", ["x"]), ("u", ["s"]), ("y", []), ("v", ["s", "y"]), ("root", ["u", "v"])]), "root"),
    "a node that uses its input twice (x * x)": (
        _graph([("x", []), ("y", []), ("sq", ["x", "x"]), ("m", ["sq", "y"]), ("root", ["sq", "m", "sq"])]), "root"),
    "diamonds stacked 6 high": (_graph(_ladder(6)), "x6"),
    "a chain 200 deep": (_graph(_chain(200)), "root"),
}

# The README of micrograd: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773 at a = -4, b = 2.
README = (
    "[(c := a + b), (d := a * b + b**3), (c := c + c + 1), (c := c + 1 + c + (-a)),"
    " (d := d + d * 2 + (b + a).relu()), (d := d + 3 * d + (b - a).relu()), (e := c - d),"
    " (f := e**2), (g := f / 2.0), (g := g + 10.0 / f)][-1]"
)
GRAPHS = {
    "the README expression": (README, {"a": -4.0, "b": 2.0}, {"out": 24.7041, "a": 138.8338, "b": 645.5773}),
    "a tanh neuron": ("(x1*w1 + x2*w2 + b).tanh()",
                      {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
                      {"out": 0.7071, "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}),
}

# -- nn.py and train.py ------------------------------------------------------------------
NEURON = [[0.5, -1.25, 0.75, 0.3]]  # one neuron of 3 inputs: w..., b
X3 = [1.5, 0.5, -1.0]
LAYER = [[0.5, -1.25, 0.75, 0.3], [-0.6, 0.2, 1.1, -0.4], [0.9, 0.4, -0.3, 0.1]]
MLP = [[[0.5, -1.25, 0.3], [-0.6, 0.2, -0.4], [0.9, 0.4, 0.1]], [[0.7, -0.5, 0.25, 0.2]]]  # MLP(2, [3, 1])
X2 = [0.8, -1.2]
XS = [[0.5, 1.0], [-1.0, 0.5], [1.5, -0.5], [-0.5, -1.5]]
YS = [1.0, -1.0, 1.0, -1.0]
