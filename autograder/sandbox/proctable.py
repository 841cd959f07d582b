"""The machine's process table, read from /proc: who runs, as whom, and killing by uid or marker.

Every scan of /proc on the trusted side is here.  (The zygote, inside the
sandbox, has its own small copy: it cannot import this package.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    pid: int
    state: str  # "R", "S", "Z", ...
    uids: tuple[int, int]  # real, effective
    threads: int


def processes() -> Iterator[Process]:
    """Every process /proc shows now (those that vanish while being read are skipped)."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as f:
                fields = dict(line.split(":", 1) for line in f if line.startswith(("State:", "Uid:", "Threads:")))
            uids = fields["Uid"].split()
            yield Process(int(entry.name), fields.get("State", "?").strip()[:1], (int(uids[0]), int(uids[1])),
                          int(fields.get("Threads", "1")))
        except (OSError, KeyError, ValueError, IndexError):
            continue


def environment_has(pid: int, marker: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return marker in f.read().split(b"\0")
    except OSError:
        return False


def tasks_of(uid: int) -> int:
    """How many tasks (threads included) run with real uid ``uid`` now."""
    return sum(p.threads for p in processes() if p.uids[0] == uid)


def kill_all(which: Callable[[Process], bool], rounds: int = 20) -> None:
    """SIGKILL every live process ``which`` selects, until none is left (it may be forking)."""
    me = os.getpid()
    for _ in range(rounds):
        doomed = [p.pid for p in processes() if p.pid != me and p.state != "Z" and which(p)]
        if not doomed:
            return
        for pid in doomed:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def kill_uid(uid: int) -> None:
    """Every process whose real or effective uid is ``uid``."""
    kill_all(lambda p: uid in p.uids)


def kill_marked(token: str) -> None:
    """Every process started with ``MICROGRAD_SANDBOX_TOKEN=token`` in its environment."""
    marker = f"MICROGRAD_SANDBOX_TOKEN={token}".encode()
    kill_all(lambda p: environment_has(p.pid, marker))
