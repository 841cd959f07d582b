# hostile: a syntax error (nn.py)
# module: nn
def broken(:
    pass
