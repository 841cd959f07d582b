"""What every check uses: failing with a diagnosis, and comparing observations.

A check asks the worker for observations (the ``probe`` fixture), computes
the expected answer with an oracle, and calls ``fail`` with a message that
says what was run, what was expected, what came back and, where the
observation matches a known bug, which bug and how to fix it.
"""

from __future__ import annotations

from ..oracles.numeric import close, fmt


class CheckFailure(Exception):
    """A failed check: ``status`` is "failed", "error" or "timeout"."""

    def __init__(self, message: str, status: str = "failed"):
        super().__init__(message)
        self.message = message
        self.status = status


def fail(ran: str, expected: str, got: str, diagnosis: str | None = None) -> None:
    message = f"Ran: {ran}\nExpected: {expected}\nGot: {got}"
    if diagnosis:
        message += f"\nLikely cause: {diagnosis}"
    raise CheckFailure(message)


def require(condition: bool, ran: str, expected: str, got: str, diagnosis: str | None = None) -> None:
    if not condition:
        fail(ran, expected, got, diagnosis)


def numbers_close(got: list | None, expected: list[float], **tolerance) -> bool:
    return isinstance(got, list) and len(got) == len(expected) and all(
        close(g, e, **tolerance) for g, e in zip(got, expected)
    )


SHOWN_CHARS = 300  # what one shown value may take: observations are the student's, so bounded


def show(values) -> str:
    """Numbers, a list or a name -> number dict, for a message; at most ``SHOWN_CHARS`` characters."""
    if isinstance(values, dict):
        text = ", ".join(f"{str(k)[:20]}={_one(v)}" for k, v in list(values.items())[:40])
    elif isinstance(values, list):
        text = "[" + ", ".join(_one(v) for v in values[:60]) + "]"
    else:
        text = _one(values)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def _one(value) -> str:
    if isinstance(value, str):
        return value[:40]
    if isinstance(value, (list, dict)):
        return show(value)
    return fmt(value if isinstance(value, (int, float)) and not isinstance(value, bool) else None)


def args_summary(args: dict) -> str:
    """What a probe was asked, briefly: an expression and its inputs when there is one."""
    if "expr" in args:
        return f"out = {args['expr']} with {show(args.get('inputs', {}))}"
    return ", ".join(f"{k}={v!r}"[:60] for k, v in args.items())[:400]
