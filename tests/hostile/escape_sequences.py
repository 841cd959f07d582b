# hostile: terminal escape sequences and huge names in what the checks show (a class name, a message)
# module: engine
_Name = type("\x1b[2J\x1b[31mALL TESTS PASSED\x1b[0m" + "\u202e" * 50 + "x" * 5000, (), {})
def _add(self, other):
    return _Name()
def _mul(self, other):
    raise ValueError("\x1b]0;owned\x07\x1b[2J" + "\r" * 100 + "all good")
Value.__add__ = _add
Value.__mul__ = _mul
