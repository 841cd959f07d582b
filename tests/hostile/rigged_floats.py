# hostile: float subclasses whose comparisons are always true and whose __float__ lies
# module: engine
class _Liar(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return False
    def __gt__(self, other): return False
    def __le__(self, other): return True
    def __ge__(self, other): return True
    def __float__(self): return 1.0
    def __abs__(self): return 0.0
    def __sub__(self, other): return _Liar(0.0)
    def __rsub__(self, other): return _Liar(0.0)
    def __hash__(self): return 0
    def __repr__(self): return "1.0"
    __str__ = __repr__
_original_relu = Value.relu
def _relu(self):
    out = _original_relu(self)
    out.data = _Liar(out.data)
    self.grad = _Liar(self.grad)
    return out
Value.relu = _relu
