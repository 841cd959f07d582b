"""A control group per sandbox: one bound on the memory, tasks and CPU of everything in it.

rlimits are per process: without a group, a submission may run 128 processes
of 1 GiB each, and 110 busy threads slow a neighbour in the same batch four
times.  A group of the grader's own (cgroup v2 where its controllers are
delegated, else the v1 ``memory``, ``pids`` and ``cpu`` hierarchies) caps the
sum: ``memory`` bytes in all (tmpfs pages included), ``tasks`` processes and
threads (which, unlike RLIMIT_NPROC, holds for root too) and ``cpus`` CPUs.

The sandbox joins the group before it starts (``enter_argv``: a shell that
writes its own pid into the group, then execs the sandbox), so every process
it ever starts is inside.  ``kill`` removes them all; ``remove`` deletes the
group.  Where no group can be made (not root, a read-only cgroup file
system), ``create`` returns None and the rlimits alone apply: the result's
``isolation`` says which.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class GroupLimits:
    memory: int = 1536 << 20  # bytes, every process of the sandbox together
    tasks: int = 128  # processes and threads together
    cpus: float = 1.0  # the workers of a submission run one at a time: one CPU is all they need


@dataclass
class ControlGroup:
    """One group, as a folder per hierarchy (one for v2, three for v1)."""

    folders: list[Path]

    @classmethod
    def create(cls, name: str, limits: GroupLimits = GroupLimits()) -> ControlGroup | None:
        """A new group ``name`` with ``limits``, or None where none can be made here."""
        layout = _layout()
        if layout is None:
            return None
        group = cls([])
        try:
            for controller, parent in layout.items():
                folder = parent / name
                folder.mkdir()
                group.folders.append(folder)
                for file, value in _settings(controller, limits).items():
                    if (folder / file).exists():
                        (folder / file).write_text(value)
        except OSError:
            group.remove()
            return None
        return group

    def enter_argv(self) -> list[str]:
        """A command prefix that moves itself into the group, then execs the rest."""
        joins = "; ".join(f'echo $$ > "${i + 1}" || exit 126' for i in range(len(self.folders)))
        script = f'{joins}; shift {len(self.folders)}; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *(str(f / "cgroup.procs") for f in self.folders)]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for folder in self.folders:
            with contextlib.suppress(OSError, ValueError):
                found |= {int(line) for line in (folder / "cgroup.procs").read_text().split()}
        return found

    def kill(self) -> None:
        """SIGKILL every process in the group, until none is left."""
        for folder in self.folders:
            with contextlib.suppress(OSError):
                if (folder / "cgroup.kill").exists():
                    (folder / "cgroup.kill").write_text("1")
        for _ in range(200):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> None:
        """Kill what is left and delete the group's folders."""
        self.kill()
        for folder in self.folders:
            for _ in range(200):  # a killed process leaves its group a moment after it dies
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.005)
        self.folders = []

    def peak_memory(self) -> int | None:
        """The most memory the group has used, in bytes (None where not reported)."""
        for folder in self.folders:
            for file in ("memory.peak", "memory.max_usage_in_bytes"):
                with contextlib.suppress(OSError, ValueError):
                    return int((folder / file).read_text())
        return None


def _settings(controller: str, limits: GroupLimits) -> dict[str, str]:
    period = 100_000
    quota = str(int(limits.cpus * period))
    return {
        "v2": {"memory.max": str(limits.memory), "memory.swap.max": "0", "pids.max": str(limits.tasks),
               "cpu.max": f"{quota} {period}"},
        "memory": {"memory.limit_in_bytes": str(limits.memory), "memory.memsw.limit_in_bytes": str(limits.memory)},
        "pids": {"pids.max": str(limits.tasks)},
        "cpu": {"cpu.cfs_period_us": str(period), "cpu.cfs_quota_us": quota},
    }[controller]


@functools.cache
def _layout() -> dict[str, Path] | None:
    """Controller -> the folder to create groups in (this process's own group), or None.

    cgroup v2 is used when memory, pids and cpu are all delegated to our group's
    children; else v1 when its memory, pids and cpu hierarchies are mounted;
    either way only if a group can really be created there.
    """
    if os.geteuid() != 0 or os.environ.get("MICROGRAD_CGROUP") == "off":
        return None
    try:
        own = dict(_own_groups())
    except OSError:
        return None
    candidates: list[dict[str, Path]] = []
    unified = own.get("")
    if unified is not None:
        for mount in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
            parent = mount / unified.lstrip("/")
            try:
                delegated = set((parent / "cgroup.subtree_control").read_text().split())
            except OSError:
                continue
            if {"memory", "pids", "cpu"} <= delegated:
                candidates.append({"v2": parent})
    v1 = {c: CGROUP_ROOT / c / own[c].lstrip("/") for c in ("memory", "pids", "cpu") if c in own}
    if len(v1) == 3 and all((CGROUP_ROOT / c / "cgroup.procs").exists() for c in v1):
        candidates.append(v1)
    for layout in candidates:
        if _can_create(layout):
            return layout
    return None


def _own_groups():
    """(controller, path) pairs of this process' groups; controller "" is cgroup v2's."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            yield controller, path


def _can_create(layout: dict[str, Path]) -> bool:
    probe = f"micrograd-probe-{os.getpid()}"
    made = []
    try:
        for parent in layout.values():
            (parent / probe).mkdir()
            made.append(parent / probe)
        return True
    except OSError:
        return False
    finally:
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()


def available() -> bool:
    """Whether sandboxes here get a control group."""
    return _layout() is not None
