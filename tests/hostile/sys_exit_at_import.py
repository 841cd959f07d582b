# hostile: sys.exit at import
# module: engine
import sys
sys.exit(0)
