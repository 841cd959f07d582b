"""grade-batch on a real dask.distributed cluster (a LocalCluster of worker processes).

* The results, feedback and gradebook equal a local ``grade-batch``'s (all but each
  result's ``execution_time``, which differs between any two runs).
* A worker killed mid-batch loses no submission: Dask runs its task again elsewhere.
* A client killed mid-batch: the same command resumes, grading only what is left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"
ENV = {**os.environ, "MICROGRAD_GRADER_SECRET": "cluster tests"}

pytestmark = pytest.mark.slow


def class_of(tmp_path: Path, copies: int) -> Path:
    """``copies`` of each example submission, under distinct student names."""
    folder = tmp_path / "class"
    for example in sorted(EXAMPLES.iterdir()):
        for i in range(copies):
            shutil.copytree(example, folder / f"{example.name}_{i}")
    return folder


def batch(submissions: Path, out: Path, *extra: str, wait: bool = True):
    command = [sys.executable, "-m", "autograder", "grade-batch", str(submissions), "--out", str(out), *extra]
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    if not wait:
        return process
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stdout + stderr
    return stderr


def without_time(path: Path) -> dict:
    result = json.loads(path.read_text())
    result.pop("execution_time", None)
    return result


def assert_same_as_local(out: Path, local: Path) -> None:
    names = sorted(p.name for p in local.iterdir() if p.is_dir())
    assert names == sorted(p.name for p in out.iterdir() if p.is_dir())
    for name in names:
        assert without_time(out / name / "result.json") == without_time(local / name / "result.json"), name
        assert (out / name / "feedback.md").read_bytes() == (local / name / "feedback.md").read_bytes(), name
    assert (out / "gradebook.csv").read_bytes() == (local / "gradebook.csv").read_bytes()


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, as ``--scheduler local:2`` starts them."""
    old = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)  # the workers' grader secret: each host provides its own
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as local, distributed.Client(local) as client:
            yield local, client
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def graded_locally(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    submissions = class_of(tmp, 3)
    batch(submissions, tmp / "out", "--jobs", "2")
    return submissions, tmp / "out"


def test_results_equal_a_local_batch(graded_locally, tmp_path):
    submissions, local = graded_locally
    stderr = batch(submissions, tmp_path / "out", "--scheduler", "local:2")
    assert "graded 12, skipped 0" in stderr
    assert_same_as_local(tmp_path / "out", local)


def test_a_worker_killed_mid_batch_loses_nothing(cluster, graded_locally, tmp_path):
    local_cluster, client = cluster
    submissions, local = graded_locally
    out = tmp_path / "out"
    process = batch(submissions, out, "--scheduler", local_cluster.scheduler_address, wait=False)
    deadline = time.monotonic() + 300
    while not list(out.glob("*/result.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    victim = next(iter(client.run(os.getpid).values()))
    os.kill(victim, signal.SIGKILL)  # its nanny starts a new one; its task runs again elsewhere
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stdout + stderr
    assert "graded 12, skipped 0" in stderr and "0 failed" in stderr
    assert_same_as_local(out, local)


def test_a_killed_client_resumes_where_it_stopped(cluster, graded_locally, tmp_path):
    local_cluster, _ = cluster
    submissions, local = graded_locally
    out = tmp_path / "out"
    process = batch(submissions, out, "--scheduler", local_cluster.scheduler_address, wait=False)
    deadline = time.monotonic() + 300
    while len(list(out.glob("*/graded-from.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    kept = len(list(out.glob("*/graded-from.json")))
    assert 3 <= kept < 12, "the client was killed mid-batch"
    stderr = batch(submissions, out, "--scheduler", local_cluster.scheduler_address)
    assert f"graded {12 - kept}, skipped {kept}" in stderr
    assert_same_as_local(out, local)
