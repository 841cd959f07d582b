# hostile: an infinite loop in one method (tanh)
# module: engine
def _tanh(self):
    while True:
        pass
Value.tanh = _tanh
