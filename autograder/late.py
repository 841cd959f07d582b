"""The course's late policy: one deadline, each student's extension, one rule (docs/lms.md).

A penalty is never part of a result (the contract's ``score`` is the sum of the parts): the reports and
exports show the raw score, the penalty and the score after it side by side.  The same rule serves
``grade-batch --late`` and nbgrader (``course/late.py``, nbgrader's late-penalty plugin), where the
deadline is the assignment's ``duedate`` in nbgrader's gradebook.

``late.toml``::

    deadline = 2026-12-18T23:59:00Z  # grade-batch only: nbgrader uses its assignment's duedate
    rule = "percent"                  # "none", "percent" (per started day or hour late) or "zero"
    percent = 10                      # of the raw score, per started unit
    per = "day"                       # "day" or "hour"
    floor = 50                        # a late score keeps at least this percent of the raw score
    zero_after_days = 7               # optional: later than this (after any extension), zero whatever the rule

    [extensions]                      # days added to a student's deadline, by roster id
    ada = 2

Submission times never come from a submission's own files (a student could write them): for
``grade-batch`` they come from ``--times`` (a CSV ``id,submitted`` the instructor takes from the LMS);
nbgrader takes them from its ``timestamp.txt``, which ``nbgrader collect`` and ``make collect`` write.
"""

from __future__ import annotations

import csv
import datetime
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

UNITS = {"day": 86_400.0, "hour": 3_600.0}


class PolicyError(ValueError):
    """The late policy or the times file cannot be used (the message says why)."""


@dataclass(frozen=True)
class LatePolicy:
    rule: str = "none"
    percent: float = 0.0
    per: str = "day"
    floor: float = 0.0
    zero_after_days: float | None = None
    deadline: datetime.datetime | None = None
    extensions: dict[str, float] = field(default_factory=dict)  # roster id -> days

    def describe(self) -> str:
        """The rule in one line, for feedback and reports."""
        said = {"none": "no penalty", "zero": "late work scores 0",
                "percent": f"{self.percent:g} % per started {self.per} late, keeping at least {self.floor:g} %"
                }[self.rule]
        return said + (f"; 0 after {self.zero_after_days:g} days late" if self.zero_after_days is not None else "")

    def penalty(self, student: str, raw: float, seconds_late: float) -> tuple[float, float]:
        """(seconds late after the student's extension, points taken off ``raw``)."""
        late = max(0.0, seconds_late - self.extensions.get(student, 0.0) * UNITS["day"])
        if late <= 0:
            return 0.0, 0.0
        if self.zero_after_days is not None and late > self.zero_after_days * UNITS["day"]:
            return late, raw
        if self.rule == "zero":
            return late, raw
        if self.rule == "percent":
            share = min(self.percent * math.ceil(late / UNITS[self.per]), 100.0 - self.floor)
            return late, round(raw * share / 100.0, 2)
        return late, 0.0


@dataclass(frozen=True)
class Late:
    """One student's lateness, as every report shows it."""

    submitted: str  # ISO 8601, as the times file gave it
    deadline: str  # the student's own, extension included
    seconds_late: float
    raw: float
    penalty: float
    rule: str

    @property
    def score(self) -> float:
        return round(max(0.0, self.raw - self.penalty), 2)

    def sentence(self) -> str:
        if self.seconds_late <= 0:
            return f"Handed in on time ({self.submitted}; deadline {self.deadline})."
        return (f"Handed in {late_by(self.seconds_late)} late ({self.submitted}; deadline {self.deadline}): "
                f"{self.raw:g} points, minus {self.penalty:g} for lateness ({self.rule}) = {self.score:g}.")


def late_by(seconds: float) -> str:
    days, rest = divmod(int(math.ceil(seconds / 60)), 24 * 60)
    hours, minutes = divmod(rest, 60)
    return " ".join(f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n) or "0 min"


def load_policy(path: Path) -> LatePolicy:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"{path}: {error}") from None
    rule = data.get("rule", "none")
    if rule not in ("none", "percent", "zero"):
        raise PolicyError(f"{path}: rule must be \"none\", \"percent\" or \"zero\", not {rule!r}")
    per = data.get("per", "day")
    if per not in UNITS:
        raise PolicyError(f"{path}: per must be \"day\" or \"hour\", not {per!r}")
    deadline = data.get("deadline")
    if deadline is not None:
        deadline = aware(deadline, f"{path}: deadline")
    extensions = data.get("extensions", {})
    if not all(isinstance(v, int | float) and v >= 0 for v in extensions.values()):
        raise PolicyError(f"{path}: [extensions] gives each student a number of days (e.g. ada = 2)")
    try:
        return LatePolicy(rule=rule, percent=float(data.get("percent", 0)), per=per, floor=float(data.get("floor", 0)),
                          zero_after_days=(float(data["zero_after_days"]) if "zero_after_days" in data else None),
                          deadline=deadline, extensions={str(k): float(v) for k, v in extensions.items()})
    except (TypeError, ValueError) as error:
        raise PolicyError(f"{path}: {error}") from None


def aware(value: object, what: str) -> datetime.datetime:
    """A date and time with its time zone, from TOML or ISO 8601 text."""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise PolicyError(f"{what}: {value!r} is not an ISO 8601 date and time") from None
    if not isinstance(value, datetime.datetime) or value.tzinfo is None:
        raise PolicyError(f"{what}: give a date, a time and a time zone (e.g. 2026-12-18T23:59:00Z)")
    return value


def read_times(path: Path) -> dict[str, datetime.datetime]:
    """``id,submitted`` (ISO 8601 with a time zone) -> roster id -> when."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise PolicyError(f"{path}: {error.strerror}") from None
    if rows and not {"id", "submitted"} <= set(rows[0]):
        raise PolicyError(f"{path}: a times file has the columns id,submitted")
    return {row["id"].strip(): aware(row["submitted"], f"{path}, {row['id'].strip()}") for row in rows
            if (row.get("id") or "").strip() and (row.get("submitted") or "").strip()}


def assess(policy: LatePolicy, student: str, submitted: datetime.datetime, raw: float) -> Late:
    """One graded submission of ``grade-batch`` against the policy's deadline."""
    if policy.deadline is None:
        raise PolicyError("the late policy has no deadline (grade-batch needs one)")
    seconds, penalty = policy.penalty(student, raw, (submitted - policy.deadline).total_seconds())
    own = policy.deadline + datetime.timedelta(days=policy.extensions.get(student, 0.0))
    return Late(submitted.isoformat(), own.isoformat(), seconds, raw, penalty, policy.describe())
