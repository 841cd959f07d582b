"""The rubric turns check outcomes into points (``rubric.toml`` is the editable part)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

RUBRIC_PATH = Path(__file__).with_name("rubric.toml")
CREDIT_RULES = ("proportional", "all_or_nothing")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Part:
    id: str
    title: str
    module: str  # engine | nn | train
    checks: tuple[str, ...]  # check module names under autograder/checks/
    points: float
    credit: str
    visibility: str


@dataclass(frozen=True)
class Rubric:
    total: float
    parts: dict[str, Part]

    def part_of_check_module(self, module: str) -> Part:
        for part in self.parts.values():
            if module in part.checks:
                return part
        raise KeyError(f"check module {module!r} feeds no part of the rubric")

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
        part = Part(
            id=part_id,
            title=spec.get("title", part_id),
            module=spec["module"],
            checks=tuple(spec["checks"]),
            points=float(spec["points"]),
            credit=spec.get("credit", data.get("credit", "proportional")),
            visibility=spec.get("visibility", data.get("visibility", "visible")),
        )
        if part.credit not in CREDIT_RULES:
            raise ValueError(f"rubric: part {part_id}: credit must be one of {CREDIT_RULES}")
        if part.visibility not in VISIBILITIES:
            raise ValueError(f"rubric: part {part_id}: visibility must be one of {VISIBILITIES}")
        parts[part_id] = part
    total = float(data.get("total", 100))
    if abs(sum(p.points for p in parts.values()) - total) > 1e-9:
        raise ValueError(f"rubric: the parts' points add up to {sum(p.points for p in parts.values())}, not {total}")
    return Rubric(total=total, parts=parts)
