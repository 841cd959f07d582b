"""Plain GitHub Actions, for any roster tool (ghclass, a script, Classroom 50's repositories).

``python -m deploy.github template --out DIR`` writes the student template
repository; ``python -m deploy.bundle`` builds the private grader bundle whose
sha256 the template pins.  docs/classroom.md.
"""
