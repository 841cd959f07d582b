# hostile: unbounded recursion in neg (with the recursion limit raised)
# module: engine
import sys
sys.setrecursionlimit(10 ** 8)
def _dive(n):
    return _dive(n + 1) + 1
def _neg(self):
    return _dive(0)
Value.__neg__ = _neg
