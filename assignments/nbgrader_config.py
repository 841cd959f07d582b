# nbgrader configuration of the micrograd course (nbgrader 0.9.x).
#
# nbgrader reads this file from the directory it runs in, so run every
# nbgrader command from assignments/ (the Makefile targets do).  See
# docs/nbgrader.md for the instructor workflow.
import warnings
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat.warnings import MissingIDFieldWarning
from nbgrader.preprocessors import GetGrades

from autograder.course.feedback_page import (
    FeedbackPage,
    HiddenTestsRemoved,
    MathAsSVG,
    ScoreNotEchoed,
    quiet_hidden_check_checksums,
)

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

# --- The course -------------------------------------------------------------
# The course id names the course in the gradebook and in the exchange.
c.CourseDirectory.course_id = "micrograd"
# The course root is this folder wherever nbgrader is started from, so that
# source/, release/, submitted/, autograded/, feedback/ and gradebook.db
# always land next to this file.
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
# The exchange (nbgrader's release/fetch/submit/collect between instructor and students on one
# machine or JupyterHub) lives in the course folder, so formgrader finds it; `make release` puts each
# release there, and formgrader shows the assignments as released.  A JupyterHub course sets the
# shared exchange folder here instead.
c.Exchange.root = str(Path(__file__).resolve().parent / "exchange")
# Files never copied into a release or a submission.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]
# Anyone with a submitted/<student>/ folder is graded: no student roster to keep.
c.Autograde.create_student = True

# --- Releasing (nbgrader generate_assignment) ----------------------------------
# What replaces a ### BEGIN SOLUTION ... ### END SOLUTION region in a method
# body.  The `# Hint:` line sits just above the region, so it stays.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Refuse to release a notebook whose solution regions are not in solution cells.
c.ClearSolutions.enforce_metadata = True
# Hidden test regions are removed from the release (the default; stated for clarity).
c.ClearHiddenTests.enforce_metadata = True
# generate_assignment executes nothing: the release is checked by tests/test_notebooks.py.

# --- Autograding (nbgrader autograde) ------------------------------------------
# Test cells a student edited are overwritten from the gradebook (nbgrader does
# this for every locked cell); test cells a student deleted are put back.
c.OverwriteCells.add_missing_cells = True
# Seconds a single cell may run before it is interrupted and marked as an
# error.  The slowest cell trains the moons classifier (about 15 s); the check
# cells wait for the grader, whose own per-part timeouts are shorter.
c.Execute.timeout = 300
# Check cells hold hidden tests, so nbgrader warns that each one's checksum "has changed" on every
# submission (jupyter/nbgrader#1961); autograde restores them anyway.  Only those warnings are dropped.
quiet_hidden_check_checksums()
# Quiet logs: each kernel would warn "Kernel is running over TCP without encryption" (it runs on
# this machine, for this command only), nbgrader's gradebook code makes SQLAlchemy 2 warn about
# its own cascades on every submission, and nbformat about notebooks saved without cell ids:
# none of it is news for an instructor.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
warnings.filterwarnings("ignore", message=".* not in session, add operation along")
warnings.filterwarnings("ignore", category=MissingIDFieldWarning)  # nbformat adds the ids a notebook lacks
# Interrupt (not kill) a cell that times out, so the cells after it still run.
c.Execute.interrupt_on_timeout = True
# nbgrader gives a test cell 0 points when it writes anything to stderr.
# Warnings (e.g. a DeprecationWarning from a library the student imports)
# are not errors: drop stderr output that is only Python warnings.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"^(\S.*:\d+: )?\w*Warning: "
# A cell that prints without end (a debug print in a loop) keeps its first lines only.
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# --- Feedback (nbgrader generate_feedback) -------------------------------------
# By default the feedback HTML shows the autograded notebook as it ran, hidden
# tests included.  Removing them shows students the diagnosis each check cell
# printed (with the picture of a wrong gradient), and its score, but not the
# hidden test code.  The course's page names each check by its part, and its
# math is drawn at generation time: it loads nothing from the network.  The page
# is generate_feedback's exporter only: formgrader keeps its own template.
# ScoreNotEchoed: a check cell's points show in its heading, not again as a bare `Out[n]: 0.0`.
c.GenerateFeedback.preprocessors = [GetGrades, HiddenTestsRemoved, ScoreNotEchoed, MathAsSVG, CSSHTMLHeaderPreprocessor]
FeedbackPage.configure(c)

# --- Exporting (nbgrader export) -----------------------------------------------
# grades.csv: one row per student and assignment, nbgrader's columns and a `status`; a student nbgrader
# could not autograde (or who submitted nothing) gets an empty score, never a 0 (autograder/course/export.py).
# Late work: the course's rule in late.toml beside this file (docs/lms.md); no file, no penalty.
c.AssignLatePenalties.plugin_class = "autograder.course.late.KitLatePenalty"
c.KitLatePenalty.policy_file = str(Path(__file__).resolve().parent / "late.toml")
c.ExportApp.plugin_class = "autograder.course.export.KitCsvExport"
c.CsvExportPlugin.to = "grades.csv"
