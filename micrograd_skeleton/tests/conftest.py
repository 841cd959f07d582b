"""A failing public check shows its report (what is wrong and how to fix it), not pytest's traceback."""

from micrograd_feedback.pytest_report import pytest_runtest_makereport  # noqa: F401 - a pytest hook
