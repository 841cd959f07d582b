"""Gradescope: ``python -m deploy.gradescope build --out build/autograder.zip``.

The zip holds ``setup.sh`` and ``run_autograder`` (Gradescope's two required
files), the grader's packages and its requirements. Inside Gradescope's image,
``run_autograder`` calls ``python -m deploy.gradescope run``, which grades
``/autograder/submission`` and always writes ``/autograder/results/results.json``.
"""
