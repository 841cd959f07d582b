"""``batch.meanwhile.Meanwhile``: a batch's end-of-run work computed by a forked child while it grades, with
the same answer computed here when the child has none."""

from __future__ import annotations

import os
import threading

from autograder.batch.meanwhile import Meanwhile


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


def test_the_answer_comes_from_a_child_process():
    pid, value = Meanwhile(child_pid_and, {"pairs": [1, 2]}).result()
    assert value == {"pairs": [1, 2]}
    assert pid != os.getpid(), "computed in the child, not here"


def test_a_child_that_dies_or_is_interrupted_leaves_the_answer_to_this_process():
    assert Meanwhile(dies_in_a_child, os.getpid()).result() == "computed here"
    assert Meanwhile(raises_in_a_child, os.getpid()).result() == "computed here"


def test_a_child_reaped_by_someone_else_still_gives_its_answer():
    """A batch's pool reaps every child with waitpid(-1), this one included."""
    later = Meanwhile(child_pid_and, "answer")
    os.waitpid(later.pid, 0)  # the pool got there first
    pid, value = later.result()
    assert value == "answer" and pid != os.getpid()


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
