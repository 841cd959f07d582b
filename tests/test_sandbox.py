"""The sandbox's process settings, read from /proc of the running zygote: what the
hostile tests rely on, checked where it is set.  Both ways of applying them are
covered: util-linux exec wrappers (the fast path) and the preexec fallback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from autograder.grade import staged
from autograder.sandbox import isolation
from autograder.sandbox.isolation import ADDR_NO_RANDOMIZE, Isolation
from autograder.submission import load_submission

ROOT = Path(__file__).resolve().parent.parent


def sandbox_processes(workdir: Path) -> list[int]:
    marker = str(workdir / "runtime" / "worker.py").encode()
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
for folder in (os.getcwd(), "/tmp"):
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
    for piece in ("runtime", "reference", "submission", "scratch"):
        (tmp_path / piece).mkdir()
    argv = isolation.bwrap_argv(tmp_path) + [isolation.sandbox_python("bwrap"), "-I", "-c", FILL]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=dict(isolation.ENV))
    assert done.returncode == 0, done.stderr
    assert 0 < int(done.stdout) <= 2 * isolation.WRITABLE_BYTES
    assert list((tmp_path / "scratch").iterdir()) == []  # nothing reached the staged folder
