"""Deploying the hidden autograder where courses already grade.

``deploy.intake`` stages and grades an upload for every driver;
``deploy.gradescope`` builds Gradescope's ``autograder.zip``;
``deploy.prairielearn`` the PrairieLearn grading image recipe and course files;
``deploy.github`` the plain GitHub Actions template; ``deploy.classroom50``
Classroom 50's autograder folders; ``deploy.bundle`` the private grader bundle
those CI platforms fetch, and ``deploy.runner`` / ``deploy.ci`` the trusted
step that installs and runs it.
"""
