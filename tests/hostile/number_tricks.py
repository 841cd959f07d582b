# hostile: what is not a plain float in .data and .grad: NaN, ±inf, -0.0, 10**10000, bool, complex, numpy scalars, strings, None, lists and objects whose __float__, __eq__, __sub__, __abs__ and __bool__ lie
# module: engine
import itertools
class _Rigged:
    def __float__(self): return 1.0
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return False
    __gt__ = __le__ = __ge__ = __lt__
    def __sub__(self, other): return 0.0
    __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __sub__
    def __abs__(self): return 0.0
    def __bool__(self): return True
    def __hash__(self): return 0
    def __repr__(self): return "1.0"
class _FloatLiar(float):
    def __float__(self): return 2.0
    def __eq__(self, other): return True
    def __hash__(self): return 0
try:
    import numpy as _np
    _NUMPY = [_np.float64("nan"), _np.float32(0.5), _np.int64(3), _np.bool_(True), _np.float64(1e308) * 10]
except ImportError:
    _NUMPY = []
_TRICKS = itertools.cycle([float("nan"), float("inf"), -float("inf"), -0.0, 10**10000, True, complex(1, 2),
                           _Rigged(), _FloatLiar(0.0), "1.0", None, [1.0], {"grad": 1.0}, *_NUMPY])
_exp_reference, _tanh_reference, _pow_reference = Value.exp, Value.tanh, Value.__pow__
def _exp(self):
    out = _exp_reference(self)
    out.data = next(_TRICKS)
    return out
def _tanh(self):
    out = _tanh_reference(self)
    _backward = out._backward
    def _tricked():
        _backward()
        self.grad = next(_TRICKS)
    out._backward = _tricked
    return out
def _pow(self, k):
    out = _pow_reference(self, k)
    out.grad = next(_TRICKS)
    out.data = next(_TRICKS)
    return out
Value.exp, Value.tanh, Value.__pow__ = _exp, _tanh, _pow
