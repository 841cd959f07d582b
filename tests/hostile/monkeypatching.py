# hostile: monkeypatches math, builtins, numpy, pytest, unittest and json
# module: engine
import builtins, json, math, sys, types, unittest
math.isclose = lambda *a, **k: True
math.isfinite = lambda x: True
builtins.abs = lambda x: 0
builtins.max = lambda *a, **k: 0
builtins.round = lambda *a, **k: 0
_fake = types.ModuleType("pytest")
_fake.approx = lambda *a, **k: True
sys.modules["pytest"] = _fake
unittest.TestCase.assertEqual = lambda *a, **k: None
unittest.TestCase.assertAlmostEqual = lambda *a, **k: None
try:
    import numpy
    numpy.allclose = lambda *a, **k: True
    numpy.isclose = lambda *a, **k: True
except ImportError:
    pass
_dumps = json.dumps
def _forge(obj, *a, **k):  # every answer the worker sends says "ok" with the first observation it saw
    if type(obj) is dict and "observation" in obj:
        _forge.first = _forge.__dict__.get("first", obj["observation"])
        obj = {"ok": True, "observation": _forge.first}
    return _dumps(obj, *a, **k)
json.dumps = _forge
