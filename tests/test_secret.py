"""The grader secret made on first use: graders that start together agree on one, never an empty one.

(``nbgrader-autograde`` starts its batch and reads the secret in the same moment; a cluster's
workers on a shared home do too.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def test_graders_starting_together_make_one_complete_secret(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("MICROGRAD_GRADER_SECRET", None)
    start = time.time() + 3  # all at once: each imports first, then waits for the same moment
    read = ("import time\nfrom autograder.grading.secret import grader_secret\n"
            f"while time.time() < {start}: pass\nprint(grader_secret().decode())")
    graders = [subprocess.Popen([sys.executable, "-c", read], env=env, stdout=subprocess.PIPE, text=True)
               for _ in range(8)]
    secrets = {grader.communicate(timeout=60)[0].strip() for grader in graders}
    assert all(grader.returncode == 0 for grader in graders)
    assert len(secrets) == 1
    (secret,) = secrets
    assert len(secret) == 64 and int(secret, 16)
    stored = tmp_path / "micrograd-kit" / "grader-secret"
    assert stored.read_text().strip() == secret and stored.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in stored.parent.iterdir()] == ["grader-secret"], "no draft left behind"
