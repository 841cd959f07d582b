"""The catalogue of known student bugs and the rules that recognise them.

``catalogue.py`` holds every bug's key and advice; ``engine.py`` the rules for
exceptions, engine operations and ``backward``; ``simulate.py`` the grader's
own engine that reproduces a bug inside a larger expression; ``nn.py`` the
rules for nn.py and train.py.  Every rule returns a ``result.Diagnosis``.
"""

from .catalogue import BUGS, advice
from .engine import (
    BACKWARD_RULES,
    ERROR_RULES,
    OP_RULES,
    BackwardEvidence,
    OpEvidence,
    diagnose_backward,
    diagnose_error,
    diagnose_graph,
    diagnose_op,
    diagnose_structure,
)
from .nn import NN_RULES, diagnose_loss, diagnose_nn, diagnose_training

__all__ = [
    "BACKWARD_RULES", "BUGS", "ERROR_RULES", "NN_RULES", "OP_RULES", "BackwardEvidence", "OpEvidence", "advice",
    "diagnose_backward", "diagnose_error", "diagnose_graph", "diagnose_loss", "diagnose_nn", "diagnose_op",
    "diagnose_structure", "diagnose_training",
]
