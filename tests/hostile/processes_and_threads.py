# hostile: subprocesses, a double-forked session leader and non-daemon threads that never finish
# module: engine
import os, subprocess, sys, threading, time
MARKER = "HOSTILE-MARKER-{marker}"
def _forever():
    while True:
        time.sleep(1)
threading.Thread(target=_forever).start()
subprocess.Popen([sys.executable, "-c", "import time\nwhile 1: time.sleep(1)", MARKER], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time\nwhile 1: time.sleep(1)", MARKER])
    os._exit(0)
_original_add = Value.__add__
def _add(self, other):
    threading.Thread(target=_forever).start()
    return _original_add(self, other)
Value.__add__ = _add
