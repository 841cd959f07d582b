"""``batch.meanwhile.Meanwhile``: a batch's end-of-run work computed by a forked child while it grades, with
the same answer computed here when the child has none."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from autograder.batch.meanwhile import Meanwhile

ROOT = Path(__file__).resolve().parent.parent


def in_a_new_interpreter(body: Callable[[], None]) -> None:
    """``body()`` in a process of its own: pytest's may hold other threads by now (a Dask client's, left by
    an earlier test), and then ``Meanwhile`` rightly forks nothing."""
    done = subprocess.run([sys.executable, "-c", f"from tests.test_meanwhile import {body.__name__}; {body.__name__}()"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def child_pid_and(value: object) -> tuple[int, object]:
    return os.getpid(), value


def dies_in_a_child(parent: int) -> str:
    if os.getpid() != parent:
        os._exit(0)  # before writing anything: as if killed
    return "computed here"


def raises_in_a_child(parent: int) -> str:
    if os.getpid() != parent:
        raise KeyboardInterrupt  # Ctrl-C reaches the child too
    return "computed here"


def hangs_in_a_child(parent: int) -> str:
    if os.getpid() != parent:
        threading.Event().wait()  # as if on a lock copied mid-use
    return "computed here"


def the_answer_comes_from_a_child_process() -> None:
    pid, value = Meanwhile(child_pid_and, {"pairs": [1, 2]}).result()
    assert value == {"pairs": [1, 2]}
    assert pid != os.getpid(), "computed in the child, not here"


def a_child_that_dies_or_is_interrupted_leaves_the_answer_to_this_process() -> None:
    for fails_in_a_child in (dies_in_a_child, raises_in_a_child):
        later = Meanwhile(fails_in_a_child, os.getpid())
        assert later.pid > 0, "a child was forked"
        assert later.result() == "computed here"


def a_child_reaped_by_someone_else_still_gives_its_answer() -> None:
    """A batch's pool reaps every child with waitpid(-1), this one included."""
    later = Meanwhile(child_pid_and, "answer")
    assert later.pid > 0, "a child was forked"  # else waitpid(-1) below would wait for any child at all
    os.waitpid(later.pid, 0)  # the pool got there first
    pid, value = later.result()
    assert value == "answer" and pid != os.getpid()


def a_child_that_never_answers_is_killed_and_the_answer_computed_here() -> None:
    later = Meanwhile(hangs_in_a_child, os.getpid(), patience=0.5)
    child = later.pid
    assert child > 0, "a child was forked"
    assert later.result() == "computed here"
    try:
        os.kill(child, 0)
    except ProcessLookupError:
        return  # killed, and reaped
    raise AssertionError("the stuck child is still there")


def test_the_answer_comes_from_a_child_process():
    in_a_new_interpreter(the_answer_comes_from_a_child_process)


def test_a_child_that_dies_or_is_interrupted_leaves_the_answer_to_this_process():
    in_a_new_interpreter(a_child_that_dies_or_is_interrupted_leaves_the_answer_to_this_process)


def test_a_child_reaped_by_someone_else_still_gives_its_answer():
    in_a_new_interpreter(a_child_reaped_by_someone_else_still_gives_its_answer)


def test_a_child_that_never_answers_is_killed_and_the_answer_computed_here():
    in_a_new_interpreter(a_child_that_never_answers_is_killed_and_the_answer_computed_here)


def test_with_another_thread_running_it_is_computed_here_not_in_a_forked_copy():
    """A forked copy of another thread's locks could hang the child, and the batch waiting for it."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        later = Meanwhile(child_pid_and, "answer")
        assert later.pid == -1, "no child forked"
        assert later.result() == (os.getpid(), "answer")
    finally:
        stop.set()
        other.join()
