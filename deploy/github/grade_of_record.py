"""The grade of record for a GitHub course, computed in the course's private repository.

    python -m deploy.github grade-of-record --roster roster.csv --deadline 2026-12-18T23:59:00Z --out grades/

Students' repositories run only the public checks (``make github-template``): no
workflow a student can edit ever holds the grader, its token or its secret.  This
runs where they live, in the course's private repository (its workflow:
``make github-grader``), on a schedule or at the deadline:

1. ``clone``: each roster repository is cloned (the token goes to git through its
   environment, never on a command line) and checked out at its last commit
   before the deadline;
2. ``grade``: the clones are graded as one class by ``grade-batch`` (sandboxed,
   resumable, with ``class-report.html``);
3. ``publish``: each student's score goes back to their repository as a commit
   status on the graded commit (``micrograd/grade``) and a comment, with the
   feedback, on an issue titled "micrograd: your grade" (created once), through
   ``GitHubAPI``, whose token lives only in the course repository.

The roster is a CSV with the columns ``student`` and ``repository``
(``OWNER/NAME``).  Commit times are set by the student's machine: a commit pushed
after the deadline can claim an earlier time, so run this at the deadline (the
workflow's schedule) and keep its clones; ``graded-commits.csv`` records what was
graded.  docs/classroom.md.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from micrograd_feedback.untrusted import shown

CONTEXT = "micrograd/grade"
ISSUE_TITLE = "micrograd: your grade"
DEFAULT_API = "https://api.github.com"
DEFAULT_CLONE_URL = "https://github.com/{repository}.git"
MAX_COMMENT = 60_000  # GitHub refuses bodies over 65,536 characters
MAX_DESCRIPTION = 140  # what a commit status shows


@dataclass(frozen=True)
class Student:
    name: str  # the folder the clone is graded as (the roster's ``student``)
    repository: str  # OWNER/NAME


@dataclass(frozen=True)
class Clone:
    student: Student
    commit: str | None  # None: nothing before the deadline (or the clone failed)
    committed_at: str = ""
    problem: str = ""


class GitHubAPI:
    """The few REST calls this needs, with the course's token (urllib; ``api`` is the base URL)."""

    def __init__(self, token: str, api: str = DEFAULT_API):
        self.token, self.api = token, api.rstrip("/")

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.api}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json",
                     "User-Agent": "micrograd-kit"})
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
        return json.loads(data) if data else None

    def set_status(self, repository: str, commit: str, state: str, description: str, target_url: str = "") -> None:
        body = {"state": state, "context": CONTEXT, "description": description[:MAX_DESCRIPTION]}
        if target_url:
            body["target_url"] = target_url
        self.call("POST", f"/repos/{repository}/statuses/{commit}", body)

    def grade_issue(self, repository: str) -> int:
        """The number of the repository's grade issue, opened if there is none."""
        for issue in self.call("GET", f"/repos/{repository}/issues?state=all&per_page=100") or []:
            if issue.get("title") == ISSUE_TITLE and "pull_request" not in issue:
                return int(issue["number"])
        opened = self.call("POST", f"/repos/{repository}/issues", {
            "title": ISSUE_TITLE, "body": "Your course posts each grade of this repository here."})
        return int(opened["number"])

    def comment(self, repository: str, issue: int, body: str) -> None:
        self.call("POST", f"/repos/{repository}/issues/{issue}/comments", {"body": body[:MAX_COMMENT]})


def read_roster(path: Path) -> list[Student]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    students = []
    for row in rows:
        name, repository = (row.get("student") or "").strip(), (row.get("repository") or "").strip()
        if not name or not repository:
            continue
        if "/" in name or name.startswith(".") or repository.count("/") != 1:
            raise ValueError(f"roster: {name!r}, {repository!r}: a student is a folder name, a repository OWNER/NAME")
        students.append(Student(name, repository))
    return students


def clone(student: Student, folder: Path, deadline: datetime.datetime, url_template: str, token: str) -> Clone:
    """``folder`` checked out at the student's last commit before ``deadline`` (committer time)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}
    if token:  # in git's environment, never on a command line (other users see those)
        env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraHeader",
                   GIT_CONFIG_VALUE_0=f"Authorization: Bearer {token}")

    def git(*args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"git {args[0]}")
        return done.stdout.strip()

    url = url_template.format(repository=student.repository)
    try:
        git("clone", "--quiet", "--no-checkout", "--", url, str(folder))
        commit = git("rev-list", "-n", "1", "--first-parent", f"--before={deadline.isoformat()}", "HEAD", cwd=folder)
        if not commit:
            return Clone(student, None, problem="no commit before the deadline")
        # -c core.symlinks=false: a link in the repository is checked out as a small file, never followed
        git("-c", "core.symlinks=false", "checkout", "--quiet", "--detach", commit, cwd=folder)
        when = git("show", "-s", "--format=%cI", commit, cwd=folder)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        return Clone(student, None, problem=f"could not clone {student.repository}: {shown(str(error), 200)}")
    return Clone(student, commit, when)


def feedback_comment(student: Student, clone_: Clone, out: Path) -> str:
    feedback = out / student.name / "feedback.md"
    text = feedback.read_text() if feedback.is_file() else "Your submission could not be graded; your course sees why."
    return (f"Graded commit `{clone_.commit}` (your last commit before the deadline, {clone_.committed_at}).\n\n"
            + text)


def status_of(out: Path, student: Student) -> tuple[str, str]:
    try:
        result = json.loads((out / student.name / "result.json").read_text())
        score, total = float(result["score"]), float(result["max_score"])
    except (OSError, ValueError, KeyError, TypeError):
        return "error", "micrograd: not graded (your course sees why)"
    return ("success" if score >= total else "failure"), f"micrograd: {score:g}/{total:g} points"


def run(roster: Path, deadline: datetime.datetime, out: Path, *, token: str, api: GitHubAPI | None,
        clone_url: str = DEFAULT_CLONE_URL, jobs: int | None = None, assignment: str | None = None,
        target_url: str = "") -> int:
    """Clone, grade, publish; 0 when every student with a commit was graded and published."""
    from autograder.batch import grade_batch
    from autograder.rubric import load_rubric

    students = read_roster(roster)
    clones_dir, grades = out / "clones", out / "grades"
    clones_dir.mkdir(parents=True, exist_ok=True)
    clones = []
    for student in students:
        folder = clones_dir / student.name
        if folder.exists():
            subprocess.run(["rm", "-rf", "--", str(folder)], check=True)
        clones.append(clone(student, folder, deadline, clone_url, token))
    with open(out / "graded-commits.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "repository", "commit", "committed_at", "problem"])
        for c in clones:
            writer.writerow([c.student.name, c.student.repository, c.commit or "", c.committed_at, c.problem])
    for c in clones:
        if c.commit is None:
            print(f"{shown(c.student.name)}: not graded: {c.problem}", file=sys.stderr)
            subprocess.run(["rm", "-rf", "--", str(clones_dir / c.student.name)], check=True)
    rubric = load_rubric()
    status = grade_batch(clones_dir, grades, jobs=jobs, rubric=rubric.for_assignment(assignment) if assignment
                         else rubric)
    failures = 0
    if api is not None:
        for c in clones:
            if c.commit is None:
                continue
            state, description = status_of(grades, c.student)
            try:
                api.set_status(c.student.repository, c.commit, state, description, target_url)
                api.comment(c.student.repository, api.grade_issue(c.student.repository),
                            feedback_comment(c.student, c, grades))
            except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
                failures += 1
                print(f"{shown(c.student.name)}: graded, not published: {shown(str(error), 200)}", file=sys.stderr)
    print(f"graded {sum(c.commit is not None for c in clones)} of {len(clones)} repositories; "
          f"class report: {grades / 'class-report.html'}", file=sys.stderr)
    return 1 if failures or status not in (0,) else 0


def course_workflow(deadline: datetime.datetime, roster: str = "roster.csv", *, assignment: str | None = None,
                    torch_index: str = "https://download.pytorch.org/whl/cpu") -> str:
    """The text of the course repository's ``.github/workflows/micrograd-grade.yml``."""
    from deploy.bundle import torch_requirement
    from deploy.github.template import FILES, PYTHON_VERSION

    utc = deadline.astimezone(datetime.UTC)
    text = (FILES / "course-grade.yml").read_text()
    for placeholder, value in {
        "@CRON@": f"{utc.minute} {utc.hour} {utc.day} {utc.month} *",
        "@DEADLINE@": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "@PYTHON_VERSION@": PYTHON_VERSION,
        "@TORCH_REQUIREMENT@": torch_requirement(),
        "@TORCH_INDEX@": torch_index,
        "@ROSTER@": roster,
        "@ASSIGNMENT_OPTION@": f" --assignment {assignment}" if assignment else "",
    }.items():
        text = text.replace(placeholder, value)
    return text


def parse_deadline(text: str) -> datetime.datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)
