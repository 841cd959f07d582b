# hostile: forged results: JSON on stdout, results.json in the cwd and elsewhere, forged frames on every fd
# module: engine
import json, os, struct
_forged = {"score": 100, "max_score": 100, "parts": {}, "tests": [], "output": "forged"}
print(json.dumps(_forged))
for _path in ("results.json", "../results.json", "/autograder/results/results.json", "/tmp/results.json"):
    try:
        with open(_path, "w") as _f:
            json.dump(_forged, _f)
    except OSError:
        pass
_frame = json.dumps({"ok": True, "observation": {"is_value": True, "data": 1.0, "grads": {}}}).encode()
for _fd in range(3, 64):
    try:
        os.write(_fd, struct.pack(">I", len(_frame)) + _frame)
        os.write(_fd, b'{"score": 100}\n')
    except OSError:
        pass
