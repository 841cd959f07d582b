# hostile: resources past the per-process limits: a sparse file mapped far beyond the writable space (tanh), many small files (exp), a storm of threads (relu); all in the working directory (scratch), safe at every level
# module: engine
import mmap, os, threading, time
_tanh_reference, _exp_reference, _relu_reference = Value.tanh, Value.exp, Value.relu
def _tanh(self):
    path = f"sparse{os.getpid()}"
    size = 1 << 30
    with open(path, "wb") as f:
        f.truncate(size)  # past RLIMIT_FSIZE and the tmpfs cap: SIGXFSZ, or pages with no room behind them
    with open(path, "r+b") as f:
        mapped = mmap.mmap(f.fileno(), size)
        for offset in range(0, size, 4096):
            mapped[offset] = 1  # SIGBUS once the tmpfs is full
    return _tanh_reference(self)
def _exp(self):
    for i in range(200_000):
        try:
            open(f"f{os.getpid()}_{i}", "w").close()
        except OSError:
            break
    return _exp_reference(self)
def _relu(self):
    for _ in range(5_000):  # past the control group's task limit (or RLIMIT_NPROC)
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    return _relu_reference(self)
Value.tanh, Value.exp, Value.relu = _tanh, _exp, _relu
