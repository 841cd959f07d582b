"""The PyTorch oracles in a process of their own, for a cold ``grade``: torch's import on the second core.

A single ``python -m autograder grade`` pays ``import torch`` (about 1.25 CPU-s) before its first
oracle answer.  ``start()`` launches a trusted process that imports torch at once, while this
process imports pytest, reads and stages the submission, boots its sandbox and runs the
finite-difference checks; every oracle function marked ``@answered_remotely`` is then computed
there (the same function, the same torch, so the same floats), its arguments and answer pickled
over a pipe.  Nothing of the student's reaches it: the oracles take the grader's own expressions
and numbers.  If the process cannot answer (it died, or torch is missing there), the call is
computed here instead, as without it.  A batch does not use it: it imports torch once, before
forking its graders.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

_process: subprocess.Popen | None = None
_LOCAL: dict[tuple[str, str], Callable] = {}  # (module, name) -> the oracle function itself
_owner = 0  # the pid that started it: a forked child never shares its pipes (a batch's graders compute here)


def start() -> None:
    """Launch the oracle process (a no-op when one runs already)."""
    global _process, _owner
    if _process is not None:
        return
    _owner = os.getpid()
    kit = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [kit, os.environ.get("PYTHONPATH")]))}
    # ``-c``, not ``-m``: the functions register in this module, never in a second copy named __main__
    _process = subprocess.Popen([sys.executable, "-c", "from autograder.oracles.remote import serve; serve()"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=kit)
    atexit.register(stop)


def stop() -> None:
    """End the oracle process: killed, as it holds nothing to keep (waiting for torch's own exit costs a cold
    grade a tenth of a second)."""
    global _process
    process, _process = _process, None
    if process is None or os.getpid() != _owner:
        return
    process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        with contextlib.suppress(OSError, AttributeError):
            pipe.close()  # type: ignore[union-attr]


def answered_remotely(function):
    """Compute ``function`` in the oracle process while one runs, else here."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        global _process
        process = _process
        if process is None or os.getpid() != _owner:
            return function(*args, **kwargs)
        requests, answers = _pipes(process)
        try:
            pickle.dump((function.__module__, function.__name__, args, kwargs), requests)
            requests.flush()
            status, answer = pickle.load(answers)
        except Exception:  # noqa: BLE001 - whatever went wrong there, the answer is computed here
            status = "broken"
        if status == "answered":
            return answer
        if status == "raised":
            raise answer  # what the oracle raised, as it would have here
        _process = None  # gone, or unable to run it: computed here from now on
        with contextlib.suppress(OSError):
            process.kill()
        return function(*args, **kwargs)

    _LOCAL[function.__module__, function.__name__] = function  # what the oracle process calls
    return call


def _pipes(process: subprocess.Popen) -> tuple[IO[bytes], IO[bytes]]:
    assert process.stdin is not None and process.stdout is not None, "started with both pipes"
    return process.stdin, process.stdout


def serve() -> None:
    """The oracle process: import torch, then answer calls until its input closes."""
    with contextlib.suppress(ImportError):  # no torch: each call says so itself, as it would locally
        import torch  # noqa: F401 - the point: imported before the first call arrives
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            module, name, args, kwargs = pickle.load(requests)
        except EOFError:
            return
        try:
            importlib.import_module(module)  # its functions register themselves
            function = _LOCAL[module, name]
        except (ImportError, KeyError) as error:
            answer: tuple[str, object] = ("broken", error)  # the caller computes it itself
        else:
            try:
                answer = ("answered", function(*args, **kwargs))
            except Exception as error:  # noqa: BLE001 - sent back, raised where it was asked
                answer = ("raised", error)
        pickle.dump(answer, answers)
        answers.flush()
