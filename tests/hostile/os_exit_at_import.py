# hostile: os._exit at import (nn.py)
# module: nn
import os
os._exit(0)
