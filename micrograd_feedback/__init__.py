"""micrograd_feedback: what a piece of micrograd code does, observed, checked and explained.

The public half of the kit, with no answer in it: the grader's hidden checks
and a student's self-checks share it.  ``probes`` observes a student's objects
(standard library only: it also runs inside the grader's sandbox);
``numeric`` is the finite-difference oracle; ``expressions`` reads a check's
expression; ``diagnosis`` is the catalogue of known bugs and the rules that
recognise them; ``result`` is a check's and a submission's outcome as data;
``cells`` tells which notebook cells make up which module; ``selfcheck`` and
``notebook`` are the students' public checks.  Nothing here knows the
reference solution, the hidden checks' cases, the rubric's points or the
grader's secret (``tests/test_student_distribution.py`` checks the wheel).
"""
