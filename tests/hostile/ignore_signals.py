# hostile: ignores SIGALRM/SIGTERM/SIGINT/SIGXCPU and spins in a method (relu), and in a child
# module: engine
import os, signal, sys
for _s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGHUP):
    signal.signal(_s, signal.SIG_IGN)
MARKER = "HOSTILE-MARKER-{marker}"
if os.fork() == 0:
    os.execv(sys.executable, [sys.executable, "-c",
             "import signal\nfor s in (1, 2, 14, 15, 24): signal.signal(s, signal.SIG_IGN)\nimport time\nwhile 1: time.sleep(1)", MARKER])
def _relu(self):
    while True:
        pass
Value.relu = _relu
