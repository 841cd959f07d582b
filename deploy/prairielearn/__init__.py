"""PrairieLearn's external grader: ``python -m deploy.prairielearn build --out build/prairielearn``.

The grading image is public (PrairieLearn pulls images only from public
registries), so it holds dependencies only: Debian's python3 and numpy for
student code, bubblewrap, and a venv with the grader's requirements.  The
grader itself (hidden checks, reference solution, secret) lives in the
course repository's ``serverFilesCourse/micrograd/``, which students never
see; PrairieLearn copies it to ``/grade/serverFilesCourse`` for each job.
"""
