"""The sandbox's process settings, read from /proc of the running zygote: what the
hostile tests rely on, checked where it is set.  Both ways of applying them are
covered: util-linux exec wrappers (the fast path) and the preexec fallback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.intake.submission import load_submission
from autograder.sandbox import cgroup, isolation
from autograder.sandbox.isolation import ADDR_NO_RANDOMIZE, Isolation
from autograder.sandbox.layout import Layout
from autograder.sandbox.staging import staged

ROOT = Path(__file__).resolve().parent.parent


def sandbox_processes(layout) -> list[int]:
    marker = str(layout.worker).encode()
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if marker in Path(f"/proc/{entry.name}/cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def limit(pid: int, name: str) -> tuple[str, str]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith(name):
            soft, hard = line[len(name):].split()[:2]
            return soft, hard
    raise AssertionError(f"no {name} in /proc/{pid}/limits")


@pytest.mark.parametrize("way", ["exec wrappers", "preexec"])
def test_the_zygote_runs_with_the_limits_no_aslr_and_its_own_uid(way, monkeypatch):
    if way == "preexec":
        monkeypatch.setattr(isolation, "_exec_wrappers", lambda rlimits, uid: None)
    elif not isolation._wrappers_work():
        pytest.skip("prlimit/setarch/setpriv do not work here")
    with staged(load_submission(ROOT / "examples" / "submissions" / "correct")) as workdir:
        sandbox = Isolation(workdir)
        try:
            sandbox.prepare()
            sandbox._await_greeting()
            pids = sandbox_processes(workdir)
            assert pids, "the zygote is not running"
            for pid in pids:
                assert int(Path(f"/proc/{pid}/personality").read_text(), 16) & ADDR_NO_RANDOMIZE
                assert limit(pid, "Max cpu time") == (str(sandbox.limits.cpu_seconds),) * 2
                assert limit(pid, "Max open files") == (str(sandbox.limits.open_files),) * 2
                assert limit(pid, "Max address space") == (str(sandbox.limits.address_space),) * 2
                assert limit(pid, "Max core file size") == ("0", "0")
                if sandbox.uid is not None:
                    uids = next(l for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("Uid:"))
                    assert uids.split()[1:] == [str(sandbox.uid)] * 4
                    groups = next(l for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("Groups:"))
                    assert groups.split()[1:] == []
        finally:
            sandbox.close()
        assert sandbox_processes(workdir) == []


FILL = """
import os
import subprocess
total = 0
for folder in (os.getcwd(), "/tmp", "/", "/dev", "/dev/shm", "/usr", os.path.dirname(os.getcwd())):
    for i in range(10_000):
        try:
            with open(os.path.join(folder, f"f{i}"), "wb") as f:
                f.write(b"x" * (1 << 20))
            total += 1 << 20
        except OSError:
            break
print(total)
"""


@pytest.mark.skipif(not isolation.level_works("bwrap"), reason="bubblewrap does not work here")
def test_bwrap_writable_places_are_capped(tmp_path):
    """Only tmpfs of the sandbox's own are writable, each capped: writing fills them, not the machine."""
    Layout(tmp_path).create()
    argv = isolation.bwrap_argv(tmp_path) + [isolation.sandbox_python("bwrap"), "-I", "-c", FILL]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=dict(isolation.ENV))
    assert done.returncode == 0, done.stderr
    # scratch/, /tmp and /dev/shm: each its own capped tmpfs; /, /dev, /usr and the staged folder read-only
    assert 0 < int(done.stdout) <= 3 * isolation.WRITABLE_BYTES
    assert list((tmp_path / "scratch").iterdir()) == []  # nothing reached the staged folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference", "runtime", "scratch", "submission"]


@pytest.mark.skipif(not cgroup.available(), reason="no control group can be made here (not root, or no cgroup fs)")
def test_the_whole_sandbox_is_in_one_control_group_with_its_limits():
    with staged(load_submission(ROOT / "examples" / "submissions" / "correct")) as workdir:
        sandbox = Isolation(workdir)
        try:
            sandbox.prepare()
            sandbox._await_greeting()
            group = sandbox._group
            assert group is not None and "control group" in sandbox.level
            pids = sandbox_processes(workdir)
            assert pids and set(pids) <= group.pids()  # the zygote, and bwrap around it
            limits = sandbox.group_limits
            settings = {f.name: f.read_text().strip() for folder in group.folders for f in folder.iterdir()
                        if f.name in ("memory.limit_in_bytes", "memory.max", "pids.max", "cpu.cfs_quota_us", "cpu.max")}
            assert str(limits.memory) in (settings.get("memory.limit_in_bytes"), settings.get("memory.max"))
            assert settings["pids.max"] == str(limits.tasks)
            assert settings.get("cpu.cfs_quota_us") == "100000" or settings.get("cpu.max", "").startswith("100000 ")
            folders = list(group.folders)
        finally:
            sandbox.close()
        assert sandbox_processes(workdir) == []
        assert not any(folder.exists() for folder in folders)  # removed with the sandbox


@pytest.mark.skipif(not cgroup.available(), reason="no control group can be made here (not root, or no cgroup fs)")
def test_an_empty_group_spares_the_proc_scan_and_a_killed_holders_uid_is_scanned(monkeypatch):
    """A sandbox that ends with its control group empty marks its uid's lock "clean": the next holder skips
    the /proc scan for that uid.  A holder killed mid-grading never marks it, so the next one scans and kills
    what it left (here a process of that uid outside any sandbox group)."""
    from autograder.sandbox import uids

    scanned: list[int] = []
    real_kill_uid = uids.kill_uid
    monkeypatch.setattr(uids, "kill_uid", lambda uid: (scanned.append(uid), real_kill_uid(uid)))
    with staged(load_submission(ROOT / "examples" / "submissions" / "correct")) as workdir:
        sandbox = Isolation(workdir)
        try:
            sandbox.prepare()
            sandbox._await_greeting()
            uid = sandbox.uid  # allocate() starts its search from this process's pid: it finds it again
            assert uid is not None
        finally:
            sandbox.close()
    assert sandbox._left_clean
    holder = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "60"])
    try:
        time.sleep(0.2)
        assert uids.lock_path(uid).read_bytes() == uids.CLEAN
        uids.lock_path(uid).write_bytes(uids.IN_USE)  # as a holder killed mid-grading leaves it
        scanned.clear()
        again, fd = uids.allocate()
        uids.release(fd, clean=False)
        assert again == uid and scanned == [uid]
        assert holder.wait(timeout=5) == -9, "the leftover of that uid was killed"
        uids.lock_path(uid).write_bytes(uids.CLEAN)
        scanned.clear()
        again, fd = uids.allocate()
        uids.release(fd, clean=True)
        assert again == uid and scanned == [], "a clean lock: no scan"
    finally:
        holder.kill()


MANY_PROCESSES = """
import os, time
def _hog(self):
    children = []
    for _ in range(8):  # 8 x 500 MiB at once: 4 GiB, each process within its own 1 GiB limit
        pid = os.fork()
        if pid == 0:
            block = bytearray(500 << 20)
            block[::4096] = b"x" * len(block[::4096])
            time.sleep(3)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return _exp(self)
_exp = Value.exp
Value.exp = _hog
"""


def available_memory() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemAvailable")


@pytest.mark.slow
@pytest.mark.skipif(not cgroup.available(), reason="no control group can be made here (not root, or no cgroup fs)")
def test_a_submissions_processes_together_stay_within_its_memory(tmp_path):
    """Eight processes of 500 MiB each would take 4 GiB; the group holds the sandbox to its limit."""
    for module in ("engine", "nn", "train"):
        shutil.copy(ROOT / "solutions" / f"{module}.py", tmp_path / f"{module}.py")
    with open(tmp_path / "engine.py", "a") as f:
        f.write(MANY_PROCESSES)
    before, lowest = available_memory(), [available_memory()]
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(tmp_path), "--format", "json"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    while process.poll() is None:
        lowest[0] = min(lowest[0], available_memory())
        time.sleep(0.02)
    result = json.loads(process.stdout.read())
    used = before - lowest[0]
    # the grader itself (PyTorch, ~0.4 GiB) + at most the group's limit, never the 4 GiB asked for
    assert used < Isolation(tmp_path).group_limits.memory + (768 << 20), f"{used >> 20} MiB were used"
    assert result["parts"]["add"]["score"] == result["parts"]["add"]["max_score"]


COURSE_IMPORTS = """import matplotlib.pyplot as plt
import numpy as np
import graphviz
from matplotlib import cm
"""


def engine_with(tmp_path: Path, header: str, footer: str = "") -> Path:
    for module in ("engine", "nn", "train"):
        shutil.copy(ROOT / "solutions" / f"{module}.py", tmp_path / f"{module}.py")
    source = (tmp_path / "engine.py").read_text()
    future = "from __future__ import annotations\n"
    (tmp_path / "engine.py").write_text(source.replace(future, future + header, 1) + footer)
    return tmp_path


@pytest.mark.parametrize("level", isolation.LEVELS)
def test_the_course_packages_are_there_at_every_level(tmp_path, monkeypatch, level):
    """An engine that imports matplotlib, numpy and graphviz at the top is correct code."""
    if not isolation.level_works(level):
        pytest.skip(f"isolation level {level} is not available here")
    monkeypatch.setenv("MICROGRAD_SANDBOX", level)
    from autograder.grading.grade import grade

    result = grade(engine_with(tmp_path, COURSE_IMPORTS))
    assert result["isolation"].startswith(level)
    assert result["score"] == result["max_score"], [t["message"] for t in result["tests"] if t["status"] != "passed"][:1]


def test_a_missing_course_package_costs_only_what_uses_it(tmp_path, monkeypatch):
    """Listed in course-packages.txt but absent from the sandbox: importing it costs nothing;
    calling it costs the parts that call it, with a message that says why."""
    packages = {**isolation.course_packages(), "kit_absent_package": ""}
    monkeypatch.setattr(isolation, "course_packages", lambda: packages)
    from autograder.grading.grade import grade

    uses = "\n_exp = Value.exp\nValue.exp = lambda self: (absent.plot(), _exp(self))[1]\n"
    result = grade(engine_with(tmp_path, "import kit_absent_package as absent\nimport kit_absent_package.sub\n", uses))
    for part, data in result["parts"].items():
        assert (data["score"] == 0) == (part == "exp") or part == "graphs", part
    message = next(t["message"] for t in result["tests"] if t["part"] == "exp" and t["status"] != "passed")
    assert "kit_absent_package is not installed where your code is graded" in message


def test_a_package_outside_the_course_list_is_still_missing(tmp_path):
    from autograder.grading.grade import grade

    result = grade(engine_with(tmp_path, "import kit_absent_package\n"))
    assert result["parts"]["add"]["score"] == 0
    assert "No module named 'kit_absent_package'" in json.dumps(result)
