# hostile: floods stdout and stderr, at import and in every addition
# module: engine
import os, sys
_junk = "x" * (1 << 20)
for _ in range(64):
    print(_junk)
    print(_junk, file=sys.stderr)
os.write(1, b"y" * (1 << 20))
_original_add = Value.__add__
def _add(self, other):
    sys.stdout.write(_junk)
    sys.stderr.write(_junk)
    return _original_add(self, other)
Value.__add__ = _add
