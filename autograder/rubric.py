"""The rubric: the one definition of every graded part (``rubric.toml`` is the editable part).

A part says which student module holds it, which members of ``Value`` it is
(for the engine's parts), which check modules grade it, its points, partial
credit and visibility.  Everything else derives from it: which members are
taken from the reference while a part is graded (``Part.grafted``), which
modules come from the reference (``Part.uses``), the diagnosis's map of
operations, the notebooks' check cells, and the tests' part lists.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from micrograd_feedback.modules import MODULES  # the student's modules, in dependency order

RUBRIC_PATH = Path(__file__).with_name("rubric.toml")
OPERATION_CHECKS = "test_operation"  # the check module of an operation defined by its forward rule alone
DOMAINS = ("any", "positive")  # where an operation's inputs are drawn
# A part of one module is graded with the earlier ones taken from the reference (docs/interface.md).
CREDIT_RULES = ("proportional", "all_or_nothing")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Part:
    id: str
    title: str
    module: str  # one of MODULES
    checks: tuple[str, ...]  # check module names under autograder/checks/
    points: float
    credit: str
    visibility: str
    members: tuple[str, ...] = ()  # the Value members this part is (engine parts)
    operation: bool = False  # an operation of Value, checked expression by expression
    forward: str = ""  # an operation's value on a float x (Python, with math): its checks derive from it
    domain: str = "any"  # where its inputs are drawn: "any", or "positive" (log, sqrt)
    prose: str = ""  # the notebook section that introduces it (Markdown)

    def uses(self) -> dict[str, str]:
        """Module -> "student" or "reference" while this part is graded: its own module is the
        student's, the modules before it the reference's (so a bug there costs nothing here)."""
        mine = MODULES.index(self.module)
        return {m: "student" if i == mine else "reference" for i, m in enumerate(MODULES[: mine + 1])}


@dataclass(frozen=True)
class Rubric:
    total: float
    parts: dict[str, Part]
    assignments: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> its student modules
    assignment: str = ""  # set when this rubric is one assignment's (``for_assignment``)

    @property
    def modules(self) -> tuple[str, ...]:
        """The student modules this rubric grades, in dependency order."""
        used = {p.module for p in self.parts.values()}
        return tuple(m for m in MODULES if m in used)

    def for_assignment(self, name: str) -> Rubric:
        """The rubric of one assignment: its modules' parts, out of their own points."""
        if name not in self.assignments:
            known = ", ".join(sorted(self.assignments)) or "none"
            raise ValueError(f"no assignment {name!r} in the rubric (known: {known})")
        modules = self.assignments[name]
        parts = {i: p for i, p in self.parts.items() if p.module in modules}
        return replace(self, total=sum(p.points for p in parts.values()), parts=parts, assignment=name)

    def part_of_check_module(self, module: str) -> Part:
        for part in self.parts.values():
            if module in part.checks and module != OPERATION_CHECKS:
                return part
        raise KeyError(f"check module {module!r} feeds no part of the rubric (or several: mark each check's part)")

    def defined_by_rule(self) -> list[Part]:
        """The operations defined by their forward rule alone (``test_operation`` checks them all)."""
        return [p for p in self.parts.values() if OPERATION_CHECKS in p.checks]

    def grafted(self, part: Part) -> list[str]:
        """The members of ``part``'s class taken from the reference while it is graded: every
        other part's of the same module (a part without members, e.g. an integration part, none)."""
        if not part.members:
            return []
        return [m for other in self.parts.values() if other.id != part.id and other.module == part.module
                for m in other.members]

    def operations(self) -> dict[str, Part]:
        return {p.id: p for p in self.parts.values() if p.operation}

    def of_module(self, module: str) -> list[str]:
        return [p.id for p in self.parts.values() if p.module == module]

    def score(self, part: Part, outcomes: list[tuple[float, bool]]) -> float:
        """Points for ``part`` from its checks' (weight, passed) pairs."""
        total = sum(weight for weight, _ in outcomes)
        passed = sum(weight for weight, ok in outcomes if ok)
        if total == 0:
            return 0.0
        if part.credit == "all_or_nothing":
            return part.points if passed == total else 0.0
        return round(part.points * passed / total, 2)


def load_rubric(path: Path = RUBRIC_PATH) -> Rubric:
    data = tomllib.loads(Path(path).read_text())
    parts = {}
    for part_id, spec in data["parts"].items():
        forward = str(spec.get("forward", "")).strip()
        part = Part(
            id=part_id,
            title=spec.get("title", part_id),
            module=spec["module"],
            # an operation defined by its forward rule alone gets the checks every such operation gets
            checks=tuple(spec.get("checks", [OPERATION_CHECKS] if forward else [])),
            points=float(spec["points"]),
            credit=spec.get("credit", data.get("credit", "proportional")),
            visibility=spec.get("visibility", data.get("visibility", "visible")),
            members=tuple(spec.get("members", ())),
            operation=bool(spec.get("operation", False)),
            forward=forward,
            domain=spec.get("domain", "any"),
            prose=str(spec.get("prose", "")).strip(),
        )
        if not part.checks:
            raise ValueError(f"rubric: part {part_id}: name its `checks`, or give an operation its `forward` rule")
        if part.domain not in DOMAINS:
            raise ValueError(f"rubric: part {part_id}: domain must be one of {DOMAINS}")
        if forward and not (part.operation and len(part.members) == 1 and part.members[0].isidentifier()
                            and not part.members[0].startswith("__")):
            raise ValueError(f"rubric: part {part_id}: a `forward` rule defines a method `a.{part_id}()`: "
                             "`operation = true` and `members = [\"<method>\"]`")
        if part.module not in MODULES:
            raise ValueError(f"rubric: part {part_id}: module must be one of {MODULES}")
        if part.credit not in CREDIT_RULES:
            raise ValueError(f"rubric: part {part_id}: credit must be one of {CREDIT_RULES}")
        if part.visibility not in VISIBILITIES:
            raise ValueError(f"rubric: part {part_id}: visibility must be one of {VISIBILITIES}")
        if part.operation and not part.members:
            raise ValueError(f"rubric: part {part_id}: an operation names its members")
        parts[part_id] = part
    total = float(data.get("total", 100))
    if abs(sum(p.points for p in parts.values()) - total) > 1e-9:
        raise ValueError(f"rubric: the parts' points add up to {sum(p.points for p in parts.values())}, not {total}")
    assignments = {name: tuple(spec["modules"]) for name, spec in data.get("assignments", {}).items()}
    for name, modules in assignments.items():
        if not modules or set(modules) - set(MODULES):
            raise ValueError(f"rubric: assignment {name}: modules must be some of {MODULES}")
    return Rubric(total=total, parts=parts, assignments=assignments)
