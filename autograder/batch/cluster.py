"""Grade a batch on a Dask cluster: ``grade-batch DIR --out OUT --scheduler ADDRESS``.

The client (this process) reads every submission the way a local batch does
(``submission.load_submission``: no links, bounded, decoded), sends each one
as plain data to a ``dask.distributed`` worker, and writes what comes back
with the same ``store.record`` a local grader uses, one submission at a time
as results arrive, atomically: the output folder looks exactly like a local
``grade-batch``'s, and resume works the same way.

Each worker grades in its own sandbox, with one pytest session per worker
process fed through a queue (as a local grader keeps one session for many
submissions).  The grader secret never travels: every worker reads its own
(``$MICROGRAD_GRADER_SECRET`` or ``~/.config/micrograd-kit/grader-secret``
on its host), and returns the fingerprint of its grading code and secret
(``store.grader_digest``) with each result; a result from a worker whose
fingerprint differs from the client's is refused, so a mis-provisioned host
cannot put different inputs or an older grader into the gradebook.

A worker that dies takes no submission with it: Dask runs its tasks again
elsewhere (``distributed.scheduler.allowed-failures``), and the client writes
each submission's result once, when its task completes.

``--scheduler local:N`` starts a ``LocalCluster`` of N single-threaded worker
processes on this machine (docs/grading-speed.md, docs/cluster.md).
"""

from __future__ import annotations

import contextlib
import gc
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from micrograd_feedback.result import SubmissionResult

from ..intake.submission import Submission
from ..rubric import Rubric

Finished = Callable[[Path, "str | None"], None]


# ----------------------------------------------------------------------------
# Worker side
# ----------------------------------------------------------------------------
class SessionGrader:
    """One pytest grading session in a thread of the worker process, fed submissions through a queue."""

    def __init__(self, rubric: Rubric):
        self.rubric = rubric
        self.requests: queue.Queue = queue.Queue()
        self.frozen = False
        threading.Thread(target=self._serve, name="micrograd-grader", daemon=True).start()

    def grade(self, submission: Submission) -> SubmissionResult:
        reply: queue.Queue = queue.Queue(maxsize=1)
        self.requests.put((submission, reply))
        result, error = reply.get()
        if error is not None:
            raise error
        return result

    def _serve(self) -> None:
        from ..grading.grade import grade_each

        current: list[queue.Queue] = []

        def submissions() -> Iterator[Submission]:
            while True:
                submission, reply = self.requests.get()
                current[:] = [reply]
                yield submission

        def done(_, result, error) -> None:
            if not self.frozen:  # everything grading imports lazily is in the heap now
                gc.collect()
                gc.freeze()  # as a local batch's parent does: later collections skip it (torch's, pytest's)
                self.frozen = True
            current[0].put((result, error))

        # torch first, in this same thread: the checks' collection imports much of what torch imports, and
        # two threads importing overlapping packages in different orders can meet in Python's import locks
        # (a "deadlock detected" ImportError), which failed a collection, and a submission with it.  A thread
        # of its own would not make the warm-up faster either: an import holds the interpreter lock.
        with contextlib.suppress(ImportError):  # no torch: the oracle that needs it says so itself
            import torch  # noqa: F401
        try:
            grade_each(submissions(), done, rubric=self.rubric)
            raise RuntimeError("it stopped")
        except BaseException as error:  # noqa: BLE001 - every waiting task learns why
            with _SESSIONS_LOCK:  # the next task starts a new session
                for key in [k for k, s in _SESSIONS.items() if s is self]:
                    del _SESSIONS[key]
            if current:  # the submission in hand, unless it was answered already
                with contextlib.suppress(queue.Full):
                    current[0].put_nowait((None, RuntimeError(f"the grading session ended: {error}")))
            while True:
                with contextlib.suppress(queue.Empty):
                    self.requests.get_nowait()[1].put((None, RuntimeError(f"the grading session ended: {error}")))
                    continue
                break


_SESSIONS: dict[str, SessionGrader] = {}
_SESSIONS_LOCK = threading.Lock()


def session_for(rubric: Rubric, rubric_key: str) -> SessionGrader:
    """This worker's grading session for ``rubric``, started on first use."""
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(rubric_key)
        if session is None:
            session = _SESSIONS[rubric_key] = SessionGrader(rubric)
    return session


def grade_on_worker(submission: Submission, rubric: Rubric, rubric_key: str) -> dict:
    """The task a worker runs: the result as JSON, and the worker's grading fingerprint."""
    from .store import grader_digest

    result = session_for(rubric, rubric_key).grade(submission)
    return {"result": result.to_json(), "grader": grader_digest()}


async def warm_worker(rubric: Rubric, rubric_key: str) -> None:
    """Run on every worker as the batch starts: its grading session imports torch and collects the
    checks, in its thread, while the client still reads the submissions.  A coroutine that returns at
    once: it runs on the worker's event loop, which must not block, and the client does not wait for it
    (``Client.run(wait=False)`` takes coroutines only).  A worker that joins later warms up on its first
    submission."""
    session_for(rubric, rubric_key)


# ----------------------------------------------------------------------------
# Client side
# ----------------------------------------------------------------------------
# Dask settings for grading workers.  Dask's statistical profiler samples every thread's stack each
# 10 ms: on grading's deep pytest stacks it cost about 5 CPU seconds per 200 submissions.
WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


@contextlib.contextmanager
def connect(scheduler: str) -> Iterator:
    """A ``distributed.Client`` for ``scheduler``: an address, or ``local:N`` for a LocalCluster here."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise SystemExit("autograder: --scheduler needs dask.distributed: pip install 'micrograd-kit[cluster]'") \
            from error
    if scheduler.startswith("local:"):
        import dask

        workers = int(scheduler.split(":", 1)[1] or 2)
        # Workers are separate processes with one thread each: a grader keeps a core busy on its own.
        # WORKER_CONFIG: what a grading worker does without (docs/cluster.md says so for other clusters).
        with dask.config.set(WORKER_CONFIG), LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                          dashboard_address=None) as cluster:
            with Client(cluster) as client:
                yield client
    else:
        with Client(scheduler, timeout="30s") as client:
            yield client


def run_cluster(todo: list[Path], out: Path, rubric: Rubric, scheduler: str, finished: Finished,
                on_client: Callable[[object], None] | None = None) -> None:
    """Grade ``todo`` on the cluster, writing each result as it arrives; ``finished(submission, why)``
    as a local pool calls it (why: None when graded)."""
    from distributed import as_completed

    from ..intake.submission import load_submission
    from .store import ERROR, grader_digest, record, rubric_digest, write_atomic

    mine = grader_digest()
    key = rubric_digest(rubric)

    def failed(submission: Path, why: str) -> None:
        write_atomic(out / submission.name / ERROR, why + "\n")  # replacing an earlier run's
        finished(submission, why)

    with connect(scheduler) as client:
        if on_client is not None:
            on_client(client)
        client.run(warm_worker, rubric, key, wait=False)
        futures = {}
        for submission in todo:
            try:
                loaded = load_submission(submission)
            except Exception as error:  # noqa: BLE001 - the same sentence a local grader would write
                failed(submission, f"{type(error).__name__}: {error}")
                continue
            future = client.submit(grade_on_worker, loaded, rubric, key, pure=False,
                                   key=f"grade-{submission.name}-{time.monotonic_ns()}")
            futures[future] = submission
        for future in as_completed(futures):
            submission = futures[future]
            try:
                answer = future.result()
                if answer["grader"] != mine:
                    raise RuntimeError("the worker runs a different grader (its code or its grader secret differs "
                                       "from this client's): its result is not used")
                record(submission, out / submission.name, SubmissionResult.from_json(answer["result"]))
            except Exception as error:  # noqa: BLE001 - report it; the batch carries on
                failed(submission, f"{type(error).__name__}: {error}"[:300])
            else:
                finished(submission, None)
            future.release()

