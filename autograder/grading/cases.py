"""The checks of one module run inside one pytest item; each check (each parametrised case)
keeps its own result.

pytest's runtest protocol (three phases, their hooks and reports, a fixture definition
per parameter) costs more than most checks' own work, and ``@pytest.mark.parametrize``
makes about 150 items per submission.  So the grading loop sends only the first check
of a run through the protocol ("the leader": its setup resolves the shared fixtures,
and a setup error is every check's), and its call runs every check of the run in
collection order, as pytest would: each with its own parameters, its own
function-scoped fixtures made anew (``rng``, seeded by the check's own id), its own
markers, and its own ``CheckResult``.

Only runs that lose nothing are grouped: plain functions of one module whose
function-scoped fixtures are plain functions (no teardown, no ``request``) of wider-scoped
ones, and whose wider-scoped fixtures the leader set up.  Anything else keeps an item
of its own.  ``grouped=False`` in ``grade_each`` grades one item per check;
``tests/test_case_runs.py`` requires identical results.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

import pytest

Record = Callable[[pytest.Function, "BaseException | None"], None]


def runs(items: Iterable[pytest.Item], grouped: bool = True) -> list[list[pytest.Item]]:
    """``items`` in order, consecutive checks of one module that can share an item put together."""
    together: list[list[pytest.Item]] = []
    for item in items:
        leader = together[-1][0] if together else None
        if grouped and isinstance(leader, pytest.Function) and isinstance(item, pytest.Function) \
                and _joins(leader, item):
            together[-1].append(item)
        else:
            together.append([item])
    return together


def run_all(leader: pytest.Function, cases: list[pytest.Item], record: Record,
            begin: Callable[[pytest.Function], None]) -> None:
    """Every case of ``leader``'s run, in order: ``begin(case)``, the check, ``record(case, raised)``.

    What the check raised is caught as pytest's call phase catches it (all but an exit or
    an interrupt), so one case's error never stops the others."""
    for case in cases:
        assert isinstance(case, pytest.Function)
        begin(case)
        try:
            case.obj(**arguments(leader, case))
        except (KeyboardInterrupt, pytest.exit.Exception):
            raise
        except BaseException as error:  # noqa: BLE001 - as pytest's call phase: the check failed
            record(case, error)
        else:
            record(case, None)


def arguments(leader: pytest.Function, case: pytest.Function) -> dict[str, object]:
    """The arguments ``case`` is called with: the leader's shared fixtures, ``case``'s parameters,
    and its function-scoped fixtures computed for it (in the order pytest would set them up)."""
    params = _params(case)
    values = {**leader.funcargs, **params}
    for name in case.fixturenames:
        definition = _definition(case, name)
        if name not in params and definition is not None and definition.scope == "function":
            values[name] = definition.func(**{arg: values[arg] for arg in definition.argnames})
    return {name: values[name] for name in case._fixtureinfo.argnames}


def _joins(leader: pytest.Function, item: pytest.Function) -> bool:
    """``item`` can run in ``leader``'s item: the same module, both groupable, and every wider-scoped
    fixture ``item`` uses already set up by the leader."""
    return (item.parent is leader.parent and _groupable(leader) and _groupable(item)
            and {name for name in item.fixturenames if _scope(item, name) not in (None, "function")}
            <= set(leader.fixturenames))


def _groupable(item: pytest.Function) -> bool:
    """No fixture whose value or teardown a shared item would change: function-scoped ones are plain
    functions of wider-scoped fixtures only; no class, no hypothesis, no coroutine."""
    if item.cls is not None or hasattr(item.obj, "hypothesis") or inspect.iscoroutinefunction(item.obj):
        return False
    for name in item.fixturenames:
        if name in _params(item):
            continue
        definition = _definition(item, name)
        if definition is None:
            return False
        if definition.scope != "function":
            continue
        if (inspect.isgeneratorfunction(definition.func) or not callable(definition.func)
                or any(_scope(item, arg) in (None, "function") for arg in definition.argnames)):
            return False
    return True


def _definition(item: pytest.Function, name: str):
    definitions = item._fixtureinfo.name2fixturedefs.get(name)
    return definitions[-1] if definitions else None  # the closest one, as pytest picks it


def _scope(item: pytest.Function, name: str) -> str | None:
    definition = _definition(item, name)
    return None if definition is None or name in _params(item) else definition.scope


def _params(item: pytest.Function) -> dict[str, object]:
    callspec = getattr(item, "callspec", None)
    return callspec.params if callspec is not None else {}
