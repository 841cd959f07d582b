"""GitHub Classroom: ``python -m deploy.classroom template --out DIR`` and friends.

``template``  the student template repository (skeleton, public tests, README,
              and a workflow that grades with the hidden autograder);
``bundle``    the grader as a tarball, for the workflow's release-asset option;
``summary``   a Markdown table of a reporter result, for the run's summary page.
"""
