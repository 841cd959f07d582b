"""What every check uses: failing with what was seen, and showing observations.

A check asks the worker for observations (the ``probe`` fixture), computes
the expected answer with an oracle, and calls ``fail`` with what was run,
what was expected, what came back and, where the observation matches a
known bug, its diagnosis.  The failure carries those as fields
(``result.CheckResult``); only reporters turn them into text.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..oracles.numeric import fmt
from ..result import Diagnosis, GradientCase

SHOWN_CHARS = 300  # what one shown value may take: observations are the student's, so bounded


class CheckFailure(Exception):
    """A failed check: ``status`` is "failed", "error" or "timeout"; the rest says what was seen."""

    def __init__(self, *, ran: str = "", expected: str = "", got: str = "", error: str = "",
                 diagnoses: Iterable[Diagnosis | None] = (), status: str = "failed",
                 case: GradientCase | None = None):
        self.ran, self.expected, self.got, self.error = ran, expected, got, error
        self.diagnoses = tuple(d for d in diagnoses if d is not None)
        self.status, self.case = status, case
        super().__init__(error or f"expected {expected}, got {got}")


def fail(ran: str, expected: str, got: str, diagnosis: Diagnosis | None = None, *,
         case: GradientCase | None = None) -> None:
    raise CheckFailure(ran=ran, expected=expected, got=got, diagnoses=(diagnosis,), case=case)


def require(condition: bool, ran: str, expected: str, got: str, diagnosis: Diagnosis | None = None) -> None:
    if not condition:
        fail(ran, expected, got, diagnosis)


def numbers_close(got: list | None, expected: list[float], **tolerance) -> bool:
    from ..oracles.numeric import close

    return isinstance(got, list) and len(got) == len(expected) and all(
        close(g, e, **tolerance) for g, e in zip(got, expected)
    )


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
