"""Probe programs: small experiments on the student's classes, run in the worker.

Each probe takes plain inputs chosen by the grader, exercises the student's
code, and returns plain observations (numbers, booleans, short strings).  It
never decides anything: the grader compares the observations with its oracles.

Standard library only; this file runs inside the sandbox.
"""

import importlib.util
import sys
import traceback
import types
from collections.abc import Callable

PACKAGE = "micrograd_skeleton"
REFERENCE = "_reference"
MESSAGE_CAP = 300


# ----------------------------------------------------------------------------
# Loading the submission
# ----------------------------------------------------------------------------
class State:
    """What a loaded worker holds: the modules and the Value class under test."""

    def __init__(self, modules, value_class, reference):
        self.modules = modules
        self.Value = value_class
        self.reference = reference


def load(setup):
    """Import engine/nn/train from the files named in ``setup`` as one package.

    ``setup["use"][module]`` is "student" or "reference": nn.py is graded on
    the reference engine, train.py on the reference engine and nn, so that a
    bug in one module costs nothing elsewhere.  For an engine part, every
    Value member outside that part is replaced by the reference's, so that
    e.g. ``__sub__`` is judged on its own even if ``__add__`` is broken.
    """
    reference = load_reference(setup["reference"])
    order = list(setup["files"])  # the student's modules, in dependency order
    student_files = {name: setup["files"][name] for name in order if setup["use"].get(name) == "student"}
    modules = _package(PACKAGE, order, student_files, preloaded={
        name: reference[name] for name in order if setup["use"].get(name) == "reference"
    }, top_level=True)
    value_class = getattr(modules.get("engine"), "Value", None)
    if setup.get("graft") and value_class is not None:
        _graft(value_class, reference["engine"].Value, setup["graft"])
    return State(modules, value_class, reference)


def load_reference(files):
    """The reference package: the one the zygote imported before forking, if from these files."""
    loaded = sys.modules.get(REFERENCE)
    if loaded is not None and all(getattr(getattr(loaded, m, None), "__file__", None) == files[m] for m in files):
        return {m: getattr(loaded, m) for m in files}
    return _package(REFERENCE, list(files), files)


def _package(name, order, files, preloaded=None, top_level=False):
    """A package ``name`` whose submodules ``order`` are loaded from ``files`` (in that order); with
    ``top_level``, each is also importable by its bare name as soon as it is loaded, so that
    ``from engine import Value`` in nn.py works as it does next to the files."""
    package = types.ModuleType(name)
    package.__path__ = []
    sys.modules[name] = package
    modules = {}
    for module in order:
        if preloaded and module in preloaded:
            modules[module] = preloaded[module]
            sys.modules[f"{name}.{module}"] = preloaded[module]
        elif module in files:
            modules[module] = _import(f"{name}.{module}", files[module])
        else:
            continue
        setattr(package, module, modules[module])
        if top_level:
            sys.modules.setdefault(module, modules[module])
    return modules


def _import(qualified_name, path):
    spec = importlib.util.spec_from_file_location(qualified_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified_name] = module
    spec.loader.exec_module(module)
    return module


def _graft(student_class, reference_class, members):
    """Give the student's class the reference's implementation of ``members``."""
    maker = builder_for(student_class)
    for name in members:
        function = reference_class.__dict__[name]
        namespace = dict(function.__globals__)
        namespace["Value"] = maker  # reference code now builds student Values
        rebound = types.FunctionType(
            function.__code__, namespace, function.__name__, function.__defaults__, function.__closure__
        )
        setattr(student_class, name, rebound)


CHILDREN_NAMES = ("children", "prev", "parents", "operands", "inputs")


def builder_for(V):
    """What grafted reference code calls ``Value``: ``V`` itself when ``V(data, children, op)`` works and
    puts the children in ``_prev``, as the contract says; otherwise a stand-in that builds ``V``'s
    instances with what ``V`` takes: the children second without the cosmetic ``op`` (which the grader
    never depends on), through the parameter that takes children, or by setting ``_prev`` after
    ``V(data)``, so that the grader's own nodes do not break on a constructor that differs.  A
    difference that matters costs the student only where it is checked (the backward part), with its
    own message."""
    try:
        placement = children_placement(V)
    except Exception:  # noqa: BLE001 - a constructor that refuses children: the stand-in tries harder
        placement = {"refused": True}
    if placement is None and takes_an_op(V):
        return V
    keyword = next((p for p in constructor_parameters(V)[1:] if p.strip("_") in CHILDREN_NAMES), None)

    class Builds(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, V)

        def __call__(cls, data, _children=(), _op="", label=""):
            if placement is None:
                out = V(data, _children)
            elif keyword and _children:
                out = V(data, **{keyword: _children})
            else:
                out = V(data)
            if _children and not holds(getattr(out, "_prev", None), _children):
                out._prev = set(_children)
            return out

    return Builds(V.__name__, (), {})


# ----------------------------------------------------------------------------
# Observations
# ----------------------------------------------------------------------------
def number(x):
    """A plain float for a number (including rigged float subclasses), else None."""
    if isinstance(x, bool):
        return None
    if isinstance(x, float):
        return float.__float__(x)  # the stored value, whatever __float__/__eq__ claim
    if isinstance(x, int):
        return float(int.__index__(x)) if abs(int.__index__(x)) < 2**1000 else None
    if type(x).__module__ == "numpy" and hasattr(x, "item"):
        return number(x.item())
    return None


def type_name(x):
    return type(x).__name__[:40]


# The members a probe saw called before the student's code raised, by the exception's id (an exception
# may refuse attributes); read once, by ``describe_error``, as the worker answers.
CALLED_BEFORE: dict[int, list[str]] = {}


def describe_error(error, setup=None):
    """Exception type, a capped message, and where in the student's files it arose."""
    student_files = set((setup or {}).get("files", {}).values()) if isinstance(setup, dict) else set()
    where = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename in student_files:
            where = {"file": frame.filename.rsplit("/", 1)[-1], "line": frame.lineno}
    if isinstance(error, SyntaxError) and error.filename and error.filename in student_files:
        where = {"file": error.filename.rsplit("/", 1)[-1], "line": error.lineno}
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001 - a rigged __str__
        message = "<unprintable>"
    described = {"type": type_name(error), "message": message[:MESSAGE_CAP], "where": where}
    if id(error) in CALLED_BEFORE:
        described["called"] = CALLED_BEFORE.pop(id(error))
    return described


def outputs_first(root, children):
    """Every node below ``root`` once (by identity), each after every node built from it: the
    order in which backpropagation visits them (Kahn's algorithm: a node comes out once all its
    users have).  Iterative, so a deep graph cannot overflow the stack; a cycle (a hostile
    ``_prev``) leaves its nodes out.  The grader's own side uses it too (this module is
    stdlib-only and self-contained, so it is the one place for it)."""
    users, found, pending = {}, {id(root)}, [root]  # type: ignore[var-annotated]
    while pending:  # every node below root, and how many times each is used as an input
        for child in children(pending.pop()):
            users[id(child)] = users.get(id(child), 0) + 1
            if id(child) not in found:
                found.add(id(child))
                pending.append(child)
    order, ready = [], [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for child in children(node):
            users[id(child)] -= 1
            if users[id(child)] == 0:
                ready.append(child)
    return order


def nodes_below(root, born=None):
    """Every object reachable through ``_prev``, outputs before inputs, by identity.

    Identity, not ``==``/``hash``: a student's ``__eq__`` must not change the walk.
    ``born`` (id -> creation number) fixes the order in which each node's inputs
    are visited: the order of a set of Values follows memory addresses, which
    differ from run to run, and a buggy ``_backward`` can depend on it.
    """
    if born is None:
        return outputs_first(root, _children)
    return outputs_first(root, lambda node: sorted(_children(node), key=lambda child: born.get(id(child), -1)))


def _children(node):
    try:
        return list(getattr(node, "_prev", ()) or ())
    except TypeError:
        return []


def propagate(root, born=None):
    """The grader's own backward pass: call each node's ``_backward`` once, outputs first.

    Something in ``_prev`` that is not a Value (a number) has no ``_backward``: it is
    reported by ``foreign_in_prev``, not tripped over here."""
    for node in nodes_below(root, born):
        backward = getattr(node, "_backward", None)
        if backward is not None:
            backward()


# -- structure: where a Value keeps its operands, flags that switch gradients off --------
def attribute_names(obj):
    """The instance attributes of ``obj``: its ``__dict__`` and every ``__slots__`` entry set on it."""
    names = list(getattr(obj, "__dict__", {}) or {})
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in names and hasattr(obj, name):
                names.append(name)
    return names


def shown_name(attribute):
    """``_Value__prev`` (a name-mangled ``__prev``) as the student wrote it."""
    if attribute.startswith("_") and "__" in attribute[1:]:
        return attribute[attribute.index("__", 1):]
    return attribute


def holds(container, wanted):
    """Does ``container`` (a tuple, list, set or frozenset) hold every object of ``wanted``, by identity?"""
    if not isinstance(container, (tuple, list, set, frozenset)):
        return False
    ids = {id(x) for x in container}
    return all(id(w) in ids for w in wanted)


def kept_elsewhere(node, keeps):
    """None if ``keeps(node._prev)``; else where the node keeps its operands instead.

    ``keeps(container)`` says whether a container holds the operands.  ``prev``: whether the node
    has a ``_prev`` at all; ``found_in``: the attribute that keeps them instead (None if none does)."""
    if keeps(getattr(node, "_prev", None)):
        return None
    found = next((name for name in attribute_names(node) if name != "_prev" and keeps(getattr(node, name, None))),
                 None)
    return {"prev": hasattr(node, "_prev"), "found_in": shown_name(found) if found else None}


def takes_an_op(V) -> bool:
    """Does ``V(data, children, op)`` work (the contract's third, cosmetic, argument)?"""
    try:
        V(0.0, (), "")
    except Exception:  # noqa: BLE001 - refused, however: the grader builds without it
        return False
    return True


def children_placement(V):
    """None if ``V(data, (child,))`` puts ``child`` in ``_prev`` (the contract's constructor); else
    ``kept_elsewhere``'s answer for the node the grader would build, and ``landed_in``: the attribute that
    holds the very tuple of children passed (None if none does), which tells a constructor taking its
    children second but keeping them under another name from one taking them elsewhere; and
    ``prev_type``: the type of a ``_prev`` that cannot be iterated (None otherwise)."""
    child = V(0.0)
    children = (child,)
    node = V(1.0, children)
    found = kept_elsewhere(node, lambda container: holds(container, [child]))
    if found is not None:
        landed = next((name for name in attribute_names(node) if getattr(node, name, None) is children), None)
        found["landed_in"] = shown_name(landed) if landed else None
        found["prev_type"] = prev_not_iterable(node)
    return found


def prev_not_iterable(node):
    """The type of ``node._prev`` when it exists and cannot be iterated (None otherwise)."""
    try:
        prev = node._prev
    except Exception:  # noqa: BLE001 - no _prev, or a property that raises: not this question
        return None
    try:
        iter(prev)
    except TypeError:
        return type_name(prev)
    return None


def operands_attribute(node, V):
    """``kept_elsewhere`` for a computed node: None if its ``_prev`` holds Values."""
    return kept_elsewhere(node, lambda container: isinstance(container, (tuple, list, set, frozenset))
                          and any(isinstance(x, V) for x in container))


def constructor_parameters(V):
    """The names of ``Value.__init__``'s parameters after ``self`` (empty if they cannot be read)."""
    import inspect

    try:
        return [p.name for p in inspect.signature(V.__init__).parameters.values()][1:8]
    except (TypeError, ValueError):
        return []


def grad_flags(value):
    """Attributes of a fresh ``Value(x)`` that look like a switch for gradients and are off."""
    return [shown_name(name) for name in attribute_names(value)
            if "grad" in name.lower() and getattr(value, name, None) is False][:5]


def foreign_in_prev(nodes, V):
    """What ``_prev`` holds that is not a Value (a number, say): up to three, as type and value."""
    found = []
    for node in nodes:
        if not isinstance(node, V):
            found.append({"type": type_name(node), "value": number(node)})
            if len(found) == 3:
                break
    return found


class CreationOrder:
    """While active, numbers every instance of ``V`` as it is initialised (keeping it alive, so ids stay unique)."""

    def __init__(self, V):
        self.V, self.born, self._keep = V, {}, []

    def __enter__(self):
        V, born, keep = self.V, self.born, self._keep
        self._own = V.__dict__.get("__init__")
        original = V.__init__

        def __init__(obj, *args, **kwargs):
            if id(obj) not in born:
                born[id(obj)] = len(born)
                keep.append(obj)
            return original(obj, *args, **kwargs)

        try:
            V.__init__ = __init__
        except (TypeError, AttributeError):  # a class that cannot be patched: no numbering
            self._own = False
        return self.born

    def __exit__(self, *exc):
        if self._own is False:
            return False
        if self._own is None:
            del self.V.__init__
        else:
            self.V.__init__ = self._own
        return False


# ----------------------------------------------------------------------------
# Probes
# ----------------------------------------------------------------------------
def run(state, request):
    return PROBES[request["probe"]](state, **request["args"])


def probe_op(state, expr, inputs, out_grad, propagate_mode="grader", enable=(), track=()) -> dict:
    """Evaluate ``expr`` on Values, seed ``out.grad``, propagate, observe.

    ``propagate_mode`` "grader" walks the graph with the grader's own
    ``propagate`` (so ops are judged without the student's backward);
    "student" calls the student's ``out.backward()`` (integration checks).
    ``enable``: flag attributes (``grad_flags``) to set True on every leaf
    first, to learn whether a flag is what switches the gradients off.
    ``track``: members of ``Value`` whose calls while ``expr`` is evaluated are
    observed (``called``), so a check can tell that ``-a`` used ``__mul__``.
    """
    V = state.Value
    calls = Calls(V, track)
    try:
        with CreationOrder(V) as born, calls as called:
            leaves = {name: V(value) for name, value in inputs.items()}
            for leaf in leaves.values():
                for flag in enable:
                    setattr(leaf, flag, True)
            out = eval(expr, {"__builtins__": {}}, dict(leaves))  # noqa: S307 - expr comes from the grader
        return _observe_op(V, out, leaves, born, called, out_grad, propagate_mode, track)
    except Exception as error:
        if track:  # what ran before the raise: an operation it used may be another part's, and wrong
            CALLED_BEFORE[id(error)] = list(calls.called)
        raise


def _observe_op(V, out, leaves, born, called, out_grad, propagate_mode, track) -> dict:
    """``probe_op``'s observations of ``out``, built from ``leaves``, after it is built."""
    observation = {"is_value": isinstance(out, V), "type": type_name(out)}
    if track:
        observation["called"] = list(called)
    if not isinstance(out, V):
        observation["data"] = number(out)
        return observation
    observation["data"] = number(out.data)
    observation["data_type"] = type_name(out.data)
    below = nodes_below(out)
    reachable = {id(node) for node in below}
    observation["reaches"] = {name: id(leaf) in reachable and leaf is not out for name, leaf in leaves.items()}
    observation["foreign_in_prev"] = foreign_in_prev(below, V)
    if not all(observation["reaches"].values()):
        # The first node (out, or one inside) that keeps Values under another name, or lacks _prev.
        found = [x for x in (operands_attribute(node, V) for node in below if isinstance(node, V)) if x]
        observation["operands"] = next((x for x in found if x["found_in"]), None) or next(
            (x for x in found if not x["prev"]), None)
        observation["prev_type"] = next((t for t in map(prev_not_iterable, below) if t), None)
    # Over every computed node, not only out: the op under test may sit inside the expression.
    inner = [node for node in below if _children(node)]
    fresh_leaf_code = getattr(getattr(V(0.0), "_backward", None), "__code__", None)
    unset = [node for node in inner if getattr(getattr(node, "_backward", None), "__code__", None) is fresh_leaf_code]
    observation["backward_unset"] = bool(unset)
    # `out.backward = _backward` (a typo for `_backward`): an instance attribute, and _backward never set.
    observation["has_backward_attribute"] = any("backward" in getattr(node, "__dict__", {}) for node in unset)
    if propagate_mode == "student":
        out.backward()
    else:
        out.grad = out_grad
        propagate(out, born)
    observation["grads"] = {name: number(leaf.grad) for name, leaf in leaves.items()}
    observation["out_grad"] = number(out.grad)
    if leaves and not any(observation["grads"].values()):  # no gradient at all: is a flag switching them off?
        observation["grad_flags"] = grad_flags(next(iter(leaves.values())))
    return observation


class Calls:
    """Records which of ``members`` of class ``V`` are called inside the ``with`` block (each once, in the
    order first called), by wrapping them on the class for that time only; a class that refuses the
    wrappers is left as it is (nothing recorded)."""

    _MISSING = object()

    def __init__(self, V, members):
        self.V, self.members, self.called, self.saved = V, tuple(members), [], {}

    def __enter__(self):
        for name in self.members:
            original = getattr(self.V, name, None)
            if not callable(original):
                continue
            try:
                self.saved[name] = self.V.__dict__.get(name, self._MISSING)
                setattr(self.V, name, self._wrap(name, original))
            except (AttributeError, TypeError):
                self.saved.pop(name, None)
        return self.called

    def _wrap(self, name, original):
        called = self.called

        def tracked(*args, **kwargs):
            if name not in called:
                called.append(name)
            return original(*args, **kwargs)

        return tracked

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            try:
                if original is self._MISSING:
                    delattr(self.V, name)
                else:
                    setattr(self.V, name, original)
            except (AttributeError, TypeError):
                pass
        return False


def probe_graph_backward(state, nodes, root):
    """The student's ``backward()`` on a graph whose ``_backward`` functions the grader wrote.

    ``nodes``: name -> {"data", "children": [names], "local": [d node/d child]}.
    Each node's ``_backward`` adds ``local * node.grad`` into its children and
    records that it ran, so the student's ops are not involved at all.
    """
    V = state.Value
    elsewhere = children_placement(V)
    if elsewhere is not None:  # the grader's nodes would not be linked: nothing to judge backward() on
        return {"structure": {**elsewhere, "parameters": constructor_parameters(V)}}
    built, calls = {}, []  # type: ignore[var-annotated]
    for name, spec in nodes.items():  # the grader lists children before parents
        children = tuple(built[c] for c in spec["children"])
        node = V(spec["data"], children)
        node.grad = 0.0
        built[name] = node

        def _backward(node=node, name=name, children=children, local=spec["local"]):
            calls.append(name)
            for child, derivative in zip(children, local):
                child.grad += derivative * node.grad

        node._backward = _backward
    built[root].backward()
    return {
        "grads": {name: number(node.grad) for name, node in built.items()},
        "calls": calls[:10_000],
    }


def _set(value, x):
    value.data = x


# -- nn probes: the student's nn.py on the reference engine ---------------------
# Weights are set through the contract's attributes (``.w``, ``.b``,
# ``.neurons``, ``.layers``), never through ``parameters()``, so that a wrong
# ``parameters()`` costs only the checks about it.  Gradients are read the
# same way.
def _weights(neuron):
    return list(neuron.w)


def _structural(neurons):
    """Every weight and bias, neuron by neuron (``w..., b``), as the attributes hold them."""
    return [p for n in neurons for p in _weights(n) + [n.b]]


def _assign(neurons, values):
    for neuron, row in zip(neurons, values):
        for p, value in zip(_weights(neuron), row[:-1]):
            _set(p, value)
        _set(neuron.b, row[-1])


def _structure_facts(neurons, params, V):
    """How ``parameters()`` relates to the objects the neurons hold."""
    expected = _structural(neurons)
    return {
        "n_params": len(params),
        "n_distinct": len({id(p) for p in params}),
        "params_are_values": all(isinstance(p, V) for p in params),
        "params_in_order": len(expected) == len(params) and all(p is q for p, q in zip(params, expected)),
        "biases_in_params": all(any(p is n.b for p in params) for n in neurons),
        "weights_in_params": all(any(p is w for p in params) for n in neurons for w in _weights(n)),
        "weights_shared": any(len({id(w) for w in _weights(n)}) < len(_weights(n)) for n in neurons),
        "w_lens": [len(_weights(n)) for n in neurons],
    }


def _run_forward(module, V, x, as_values, upstream, watched):
    """``module(x)``, then backward of ``sum(upstream_i * out_i)``; outputs and gradients.

    A list or tuple of outputs is flattened; a lone Value counts as one output.
    """
    inputs = [V(xi) for xi in x] if as_values else list(x)
    out = module(inputs)
    single = isinstance(out, V)
    sequence = isinstance(out, (list, tuple))
    outs = [out] if single else (list(out) if sequence else [])
    observation = {
        "returns_value": single,
        "returns_sequence": sequence,
        "type": type_name(out),
        "n_outputs": len(outs),
        "outputs": [number(o.data) if isinstance(o, V) else None for o in outs],
    }
    if outs and all(isinstance(o, V) for o in outs) and len(outs) == len(upstream):
        for p in watched:
            p.grad = 0.0
        total = V(0.0)
        for o, u in zip(outs, upstream):
            total = total + o * u
        total.backward()
        observation["grads"] = [number(p.grad) for p in watched]
        observation["x_grads"] = [number(xi.grad) for xi in inputs] if as_values else None
    return observation


def probe_neuron(state, nin, activation, params, x, as_values):
    """``Neuron(nin[, activation])`` with the grader's ``w..., b``: structure, output, gradients."""
    Neuron = state.modules["nn"].Neuron
    V = state.modules["engine"].Value
    n = Neuron(nin) if activation is None else Neuron(nin, activation=activation)
    observation = _structure_facts([n], list(n.parameters()), V)
    observation["b_is_value"] = isinstance(n.b, V)
    if x is not None:  # None: structure only
        _assign([n], [params])
        observation.update(_run_forward(n, V, x, as_values, [1.0], _structural([n])))
    return observation


def probe_layer(state, nin, nout, activation, params, x, as_values, upstream):
    """``Layer(nin, nout, activation)`` with the grader's weights (per neuron ``w..., b``)."""
    Layer = state.modules["nn"].Layer
    V = state.modules["engine"].Value
    layer = Layer(nin, nout, activation=activation)
    neurons = list(layer.neurons)
    observation = _structure_facts(neurons, list(layer.parameters()), V)
    observation["n_neurons"] = len(neurons)
    if x is not None:  # None: structure only
        _assign(neurons, params)
        observation.update(_run_forward(layer, V, x, as_values, upstream, _structural(neurons)))
    return observation


def probe_mlp(state, nin, nouts, activation, output_activation, params, x, as_values, upstream, grads=None):
    """``MLP`` with the grader's weights (per layer, per neuron ``w..., b``).

    Forward and backward of ``sum(upstream_i * out_i)``; or, given ``grads``,
    those gradients set on every parameter and then ``zero_grad()`` (so that
    zero_grad is judged without the forward pass).
    """
    MLP = state.modules["nn"].MLP
    V = state.modules["engine"].Value
    kwargs = {"activation": activation}
    if output_activation is not None:
        kwargs["output_activation"] = output_activation
    model = MLP(nin, nouts, **kwargs)
    layers = list(model.layers)
    neurons = [n for layer in layers for n in layer.neurons]
    observation = _structure_facts(neurons, list(model.parameters()), V)
    observation["shape"] = [[len(_weights(n)) for n in layer.neurons] for layer in layers]
    if grads is not None:
        watched = _structural(neurons)
        for p, g in zip(watched, grads):
            p.grad = g
        observation["grads"] = [number(p.grad) for p in watched]
        model.zero_grad()
        observation["grads_after_zero_grad"] = [number(p.grad) for p in watched]
        return observation
    if x is None:  # structure only
        return observation
    for layer, layer_params in zip(layers, params):
        _assign(list(layer.neurons), layer_params)
    watched = _structural(neurons)
    observation.update(_run_forward(model, V, x, as_values, upstream, watched))
    return observation


# -- train probes: the student's train.py on the reference engine and nn ---------
def probe_loss(state, fn, scores, labels, extra=None):
    """A loss on Values; its value and the gradient to every input Value."""
    V = state.modules["engine"].Value
    loss_fn = getattr(state.modules["train"], fn)
    inputs = [V(s) for s in scores]
    loss = loss_fn(inputs, extra) if fn == "l2_regularization" else loss_fn(inputs, labels)
    observation = _output_facts(loss, V)
    if isinstance(loss, V):
        for v in inputs:
            v.grad = 0.0
        loss.backward()
        observation["grads"] = [number(v.grad) for v in inputs]
    return observation


def _output_facts(out, V):
    return {
        "is_value": isinstance(out, V),
        "type": type_name(out),
        "data": number(out.data) if isinstance(out, V) else number(out),
    }


def probe_sgd_step(state, data, grads, lr):
    V = state.modules["engine"].Value
    params = [V(d) for d in data]
    for p, g in zip(params, grads):
        p.grad = g
    result = state.modules["train"].sgd_step(params, lr)
    return {"data": [number(p.data) for p in params], "returned_none": result is None}


def probe_accuracy(state, scores, labels, as_values):
    V = state.modules["engine"].Value
    inputs = [V(s) for s in scores] if as_values else list(scores)
    result = state.modules["train"].accuracy(inputs, list(labels))
    return {"accuracy": number(result), "type": type_name(result)}


def probe_train(state, nin, nouts, params, xs, ys, steps, lr, loss):
    """The student's ``train()`` on a reference MLP (tanh) with the grader's weights.

    The loss function is the reference's, passed explicitly, so that a wrong
    loss in the student's train.py costs the loss part only.
    """
    model = state.modules["nn"].MLP(nin, nouts)
    for layer, layer_params in zip(model.layers, params):
        _assign(layer.neurons, layer_params)
    loss_fn = getattr(state.reference["train"], loss)
    history = state.modules["train"].train(model, [list(x) for x in xs], list(ys), steps=steps, lr=lr,
                                           loss_fn=loss_fn)
    observation = {"type": type_name(history), "history": None}
    if isinstance(history, (list, tuple)):
        # A Value per step is accepted as well as its float.
        observation["history"] = [number(getattr(h, "data", h)) for h in list(history)[:1000]]
    observation["final"] = [number(p.data) for p in _structural([n for layer in model.layers for n in layer.neurons])]
    return observation


PROBES: "dict[str, Callable[..., dict]]" = {
    "op": probe_op,
    "graph_backward": probe_graph_backward,
    "neuron": probe_neuron,
    "layer": probe_layer,
    "mlp": probe_mlp,
    "loss": probe_loss,
    "sgd_step": probe_sgd_step,
    "accuracy": probe_accuracy,
    "train": probe_train,
}
