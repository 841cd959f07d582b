"""Deploying the hidden autograder where courses already grade.

``deploy.gradescope`` builds Gradescope's ``autograder.zip`` and holds the
scripts that run inside it; ``deploy.classroom`` generates a GitHub Classroom
template repository whose workflow reports weighted points.
"""
