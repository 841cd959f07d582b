# hostile: sys.exit in exp(), os._exit in relu()
# module: engine
import os, sys
def _exp(self):
    sys.exit(0)
def _relu(self):
    os._exit(0)
Value.exp = _exp
Value.relu = _relu
