# hostile: unbounded memory at import (train.py)
# module: train
_hog = []
while True:
    _hog.append(bytearray(50 * 1024 * 1024))
