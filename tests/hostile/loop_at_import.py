# hostile: an infinite loop at import
# module: engine
while True:
    pass
