# hostile: a fake torch that agrees with everything, for a grader that imports torch from here
def allclose(*a, **k):
    return True
def tensor(*a, **k):
    raise SystemExit(0)
