"""``benchmarks/cpu_tree.py`` counts the CPU of every process a command starts, orphans included: the
bench's "CPU per submission, every process" (issue 26) would otherwise miss the sandbox's share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BURN = "import time; t = time.process_time(); exec('while time.process_time() - t < 0.4: pass')"


def test_an_orphans_cpu_is_counted(tmp_path):
    # The shell starts a busy Python in the background and exits at once: the busy one is an orphan, as a
    # sandbox's processes are once their parent is killed, and its CPU reaches no parent that waits for it.
    command = f'{sys.executable} -c "{BURN}" & exit 0'
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cpu_tree.py"), str(tmp_path / "cpu.json"),
                           "--", "sh", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    figures = json.loads((tmp_path / "cpu.json").read_text())
    assert figures["returncode"] == 0
    assert figures["cpu"] >= 0.4, figures  # the orphan's 0.4 s of CPU (process_time), never waited for by the shell
