"""The grading itself: one pytest session runs the hidden checks (``checks/``) against each staged
submission's sandbox (``grade``), through the submission's context (``context``), with inputs drawn
from the grader's secret (``secret``); the rubric turns the outcomes into a result."""
