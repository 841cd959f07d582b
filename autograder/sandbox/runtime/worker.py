"""The worker: runs INSIDE the sandbox, next to the student's code.

Started as ``python -I worker.py RUNTIME_DIR REQUEST_FD ANSWER_FD``: requests
arrive on one pipe, answers leave on the other (length-prefixed JSON).  stdout and stderr go
nowhere the grader reads, so whatever the student prints cannot pose as an
answer.  Only the standard library is used: the sandbox interpreter may have
nothing else.

Nothing here is trusted by the grader.  The worker loads the submission,
runs probes (``probes.py``) on the trusted side's inputs and sends back plain
observations: numbers, booleans, short strings.  The grader validates their
types and compares them with its own oracles; expected values never come here.
"""

import json
import os
import struct
import sys

_write = os.write  # bound now, before any student code can rebind os.write


def read_message(fd):
    header = _read_exactly(fd, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    return json.loads(_read_exactly(fd, length).decode())


def write_message(fd, message):
    data = json.dumps(message, allow_nan=True).encode()
    data = struct.pack(">I", len(data)) + data
    while data:
        data = data[_write(fd, data) :]


def _read_exactly(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def main():
    runtime, requests_fd, answers_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sys.path.insert(0, runtime)
    sys.setrecursionlimit(10_000)
    import probes  # noqa: PLC0415 - only importable once the runtime dir is on sys.path

    setup = read_message(requests_fd)
    try:
        state = probes.load(setup)
        write_message(answers_fd, {"ok": True})
    except BaseException as error:  # noqa: BLE001 - everything the student raises is an observation
        write_message(answers_fd, {"ok": False, "error": probes.describe_error(error, setup)})
        return
    while True:
        request = read_message(requests_fd)
        if request is None:
            return
        try:
            answer = {"ok": True, "observation": probes.run(state, request)}
        except BaseException as error:  # noqa: BLE001
            answer = {"ok": False, "error": probes.describe_error(error, setup)}
        write_message(answers_fd, answer)


if __name__ == "__main__":
    main()
