"""What grading produces, as data: a check's outcome, a part's score, a submission's result.

Checks fail with the fields of a ``CheckResult`` (what ran, what was expected,
what came back, the diagnoses as catalogue keys, and for an engine operation
the case itself); the rubric turns outcomes into ``PartResult``s; reporters
(``reporters/``, ``feedback.py``, ``batch.py``) turn a ``SubmissionResult``
into text, JSON, Gradescope, JUnit, feedback, a gradebook and a summary.
Nothing reads back text the grader wrote: ``to_json``/``from_json`` carry the
structured fields beside the composed ``message`` the contract promises
(docs/interface.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .untrusted import shown

STATUSES = ("passed", "failed", "error", "timeout")
# Every message is at most this long, and a whole result at most this big: the student's code
# decides part of what a message says (docs/threat-model.md).
MAX_MESSAGE_CHARS = 1_500
MAX_RESULT_BYTES = 512 * 1024


def capped(text: str, limit: int) -> str:
    """``text`` made inert (``untrusted.shown``: line breaks kept) and cut to ``limit`` characters,
    saying so."""
    return shown(text, limit, lines=True)


@dataclass(frozen=True)
class Diagnosis:
    """A catalogued bug named for this failure: its key and the advice a student reads."""

    key: str
    advice: str
    where: str = ""  # the part whose code has it, when the failure is elsewhere (integration checks)
    observation: bool = False  # what was seen, said plainly, when no catalogued bug is singled out

    @property
    def label(self) -> str:
        return "What this shows" if self.observation else "Likely cause"

    def text(self) -> str:
        """The advice as a student reads it: in their words, no catalogue key (that is ``key``, in the
        JSON result's ``diagnoses``, for instructors and tools)."""
        return f"{f'in `{self.where}`: ' if self.where else ''}{self.advice}"


@dataclass(frozen=True)
class GradientCase:
    """An engine check's expression and gradients, enough to redraw it (feedback's picture)."""

    expr: str
    inputs: dict[str, float]
    out_grad: float
    expected: dict[str, float]
    got: dict[str, float | None]


@dataclass
class CheckResult:
    """One check: its outcome and, when it failed, what it saw."""

    name: str
    part: str
    weight: float = 1.0
    status: str = "passed"
    ran: str = ""  # what the check did, in the student's terms
    expected: str = ""
    got: str = ""
    error: str = ""  # what stopped the check instead (an exception, a timeout, a missing file)
    diagnoses: tuple[Diagnosis, ...] = ()
    case: GradientCase | None = None
    where: tuple[str, int] | None = None  # the student's file and line an error came from (named in ``error``)

    def __post_init__(self) -> None:
        # The boundary: whatever the student's code put in these, a reporter gets inert text.
        self.ran, self.expected, self.got, self.error = (
            capped(text, MAX_MESSAGE_CHARS) for text in (self.ran, self.expected, self.got, self.error))
        if any(not (d.advice + d.where).isprintable() for d in self.diagnoses):
            self.diagnoses = tuple(Diagnosis(d.key, shown(d.advice, MAX_MESSAGE_CHARS), shown(d.where),
                                             d.observation) for d in self.diagnoses)

    @property
    def message(self) -> str:
        """The composed text a student reads (the contract's ``message``): the fix first (each diagnosis),
        then what ran and what it expected and got, or what stopped it."""
        if self.status == "passed":
            return ""
        lines = [f"{d.label}: {d.text()}" for d in self.diagnoses]
        lines += [f"Ran: {self.ran}"] if self.ran else []
        if self.error:
            lines.append(self.error)
        else:
            lines += [f"Expected: {self.expected}", f"Got: {self.got}"]
        return capped("\n".join(lines), MAX_MESSAGE_CHARS)

    def keys(self) -> list[str]:
        return [d.key for d in self.diagnoses]


# Student views wrap here: ``nbgrader validate`` cuts every line after 87 characters, its 4-space indent
# included, and a notebook's error area scrolls sideways past about 100.
WIDTH = 80


def wrapped(text: str, width: int = WIDTH) -> str:
    """``text`` with every line longer than ``width`` broken at spaces (continuations indented two more
    than their line); nothing is cut."""
    import textwrap

    keep = "\ue000"  # a space inside a short `code span`: not a place to break
    out: list[str] = []
    for line in text.splitlines():
        indent = " " * (len(line) - len(line.lstrip(" ")) + 2)
        line = re.sub(r"`[^`]{1,30}`", lambda span: span.group().replace(" ", keep), line)
        out += [piece.replace(keep, " ") for piece in
                textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False)] or [""]
    return "\n".join(out)


def diagnoses_once(checks, exclude=()) -> list[tuple[CheckResult, Diagnosis]]:
    """Each diagnosis among ``checks`` once, with the first check that shows it, in order, but those
    whose key is in ``exclude``: what every report lists after a part's first failure."""
    seen, found = set(exclude), []
    for check in checks:
        for diagnosis in check.diagnoses:
            if diagnosis.key not in seen:
                seen.add(diagnosis.key)
                found.append((check, diagnosis))
    return found


def distinct_diagnoses(checks, exclude=()) -> list[Diagnosis]:
    return [diagnosis for _, diagnosis in diagnoses_once(checks, exclude)]


@dataclass
class PartResult:
    id: str
    title: str
    score: float
    max_score: float
    visibility: str = "visible"


@dataclass
class SubmissionResult:
    """A submission's grade: the contract's JSON (``to_json``) and everything reporters need."""

    parts: dict[str, PartResult]
    checks: list[CheckResult]
    max_score: float
    problems: dict[str, str] = field(default_factory=dict)  # module (or "files") -> why it was not graded
    problem_kinds: dict[str, str] = field(default_factory=dict)  # the same keys -> "missing", "syntax", ...
    isolation: str = ""
    execution_time: float = 0.0

    def __post_init__(self) -> None:
        # One line each: a line break in a problem can only come from a name the student chose.
        self.problems = {key: shown(text, MAX_MESSAGE_CHARS) for key, text in self.problems.items()}

    @property
    def score(self) -> float:
        return round(sum(p.score for p in self.parts.values()), 2)

    def checks_of(self, part: str) -> list[CheckResult]:
        return [c for c in self.checks if c.part == part]

    def failed(self, part: str | None = None) -> list[CheckResult]:
        return [c for c in self.checks if c.status != "passed" and (part is None or c.part == part)]

    def check_points(self, check: CheckResult) -> float:
        """The points one check is worth: its part's points shared by weight."""
        mine = self.checks_of(check.part)
        total = sum(c.weight for c in mine) or 1.0
        return round(self.parts[check.part].max_score * check.weight / total, 4)

    def diagnosis_keys(self) -> set[str]:
        return {key for c in self.checks if c.status != "passed" for key in c.keys()}

    # -- the contract's JSON --------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        tests = []
        for check in self.checks:
            points = self.check_points(check)
            entry: dict[str, Any] = {
                "name": f"{check.part}: {check.name}",
                "part": check.part,
                "score": points if check.status == "passed" else 0.0,
                "max_score": points,
                "status": check.status,
                "message": check.message,
            }
            if check.status != "passed":
                entry["check"] = check.name
                entry["ran"], entry["expected"], entry["got"], entry["error"] = (
                    capped(check.ran, MAX_MESSAGE_CHARS), capped(check.expected, MAX_MESSAGE_CHARS),
                    capped(check.got, MAX_MESSAGE_CHARS), capped(check.error, MAX_MESSAGE_CHARS))
                entry["diagnoses"] = [asdict(d) for d in check.diagnoses]
                if check.where is not None:
                    entry["where"] = list(check.where)
                if check.case is not None:
                    entry["case"] = asdict(check.case)
            entry["weight"] = check.weight
            tests.append(entry)
        result = {
            "score": self.score,
            "max_score": self.max_score,
            "parts": {p.id: {"score": p.score, "max_score": p.max_score, "title": p.title,
                             "visibility": p.visibility} for p in self.parts.values()},
            "tests": tests,
            "problems": {key: capped(text, MAX_MESSAGE_CHARS) for key, text in self.problems.items()},
            "problem_kinds": dict(self.problem_kinds),
            "isolation": self.isolation,
            "execution_time": self.execution_time,
        }
        if len(json.dumps(result)) > MAX_RESULT_BYTES:  # cannot happen with the shipped checks; a guarantee
            for test in tests:
                for key in ("message", "ran", "expected", "got", "error"):
                    if key in test:
                        test[key] = capped(test[key], 200)
                test.pop("case", None)
        return result

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        """A result written by ``to_json`` (a batch's stored ``result.json``), back as data."""
        parts = {pid: PartResult(pid, p.get("title", pid), float(p["score"]), float(p["max_score"]),
                                 p.get("visibility", "visible")) for pid, p in data["parts"].items()}
        checks = []
        for t in data.get("tests", []):
            case = t.get("case")
            checks.append(CheckResult(
                name=t.get("check") or t["name"].removeprefix(f"{t['part']}: "), part=t["part"],
                weight=float(t.get("weight", 1.0)), status=t["status"], ran=t.get("ran", ""),
                expected=t.get("expected", ""), got=t.get("got", ""), error=t.get("error", ""),
                diagnoses=tuple(Diagnosis(**d) for d in t.get("diagnoses", [])),
                case=GradientCase(**case) if isinstance(case, dict) else None,
                where=(str(t["where"][0]), int(t["where"][1])) if isinstance(t.get("where"), list) else None))
        max_score = data.get("max_score", sum(p.max_score for p in parts.values()))
        return cls(parts=parts, checks=checks, max_score=float(max_score),
                   problems=dict(data.get("problems") or {}), problem_kinds=dict(data.get("problem_kinds") or {}),
                   isolation=data.get("isolation", ""),
                   execution_time=float(data.get("execution_time", 0.0)))
