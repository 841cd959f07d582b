"""nbgrader's late penalty from the course's ``late.toml`` (the rule of ``autograder/late.py``).

nbgrader computes how late a submission is from the assignment's ``duedate`` and the submission's
``timestamp.txt`` and asks the plugin of ``AssignLatePenalties`` for the penalty of each notebook;
this plugin answers with the course's rule, after the student's extension.  nbgrader stores it as the
notebook's ``late_submission_penalty``: formgrader, feedback and every export show it apart from the
raw score.  ``assignments/nbgrader_config.py`` selects it; without a ``late.toml`` there is no penalty.
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Unicode

from ..late import PolicyError, load_policy


class KitLatePenalty(LateSubmissionPlugin):
    """The penalty of ``late.toml`` (rule, percent, floor, ``zero_after_days``, ``[extensions]``)."""

    policy_file = Unicode("late.toml", help="the course's late policy (docs/lms.md)").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        path = Path(self.policy_file)
        if not path.is_file():
            return None
        try:
            policy = load_policy(path)
        except PolicyError as error:  # a broken policy must not cost anyone points silently
            self.log.error("late policy not applied: %s", error)
            return None
        late, penalty = policy.penalty(student_id, score, total_seconds_late)
        return penalty if late > 0 else None
