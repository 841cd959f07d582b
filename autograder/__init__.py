"""The hidden autograder: grades a micrograd submission part by part.

The pipeline, in the order a submission goes through it (each step one folder)::

    intake/     load_submission(PATH)          files read safely, modules found and decoded, problems noted
    sandbox/    staged(submission)             a private copy; Isolation: one sandbox, a worker per part
    grading/    GradingLoop (pytest)           the hidden checks (checks/) ask the workers for observations
    checks/     one module per part            judged against the oracles (oracles/, micrograd_feedback)
    rubric.py   build_result                   the checks' outcomes -> each part's points (rubric.toml)
    reporters/  REPORTERS[format](result)      text, JSON, Markdown, Gradescope, PrairieLearn, JUnit, feedback

Drivers run it for many: ``batch/`` (a class, resumable; forked graders or Dask), ``course/`` (the
nbgrader course), ``deploy/`` (the platforms).  ``python -m autograder`` is the command line.
"""
