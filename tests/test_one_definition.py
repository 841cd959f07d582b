"""A part is defined once (issue 25): no test or document keeps a hand-written list of the parts.

Lists of parts are read from the rubric (``load_rubric``) or from the contract's copy,
docs/interface.md, which is exempt: it states the fixed interface.  A line that names six or
more of the rubric's part ids as quoted or code-formatted words is a hand-written list; so is a
document stating an assignment's total in points.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
PARTS = set(load_rubric().parts)
EXEMPT = {ROOT / "docs" / "interface.md"}


def named_parts(line: str) -> set[str]:
    return {word for word in re.findall(r"[\"'`](\w+)[\"'`]", line) if word in PARTS}


def test_no_hand_written_list_of_parts_in_tests_or_docs():
    places = [*sorted((ROOT / "tests").rglob("*.py")), *sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
    found = [f"{path.relative_to(ROOT)}:{number}: {sorted(named_parts(line))}"
             for path in places if path not in EXEMPT
             for number, line in enumerate(path.read_text().splitlines(), 1) if len(named_parts(line)) >= 6]
    assert not found, "hand-written lists of parts (derive them from the rubric):\n" + "\n".join(found)


def test_no_document_states_an_assignments_total():
    rubric = load_rubric()
    totals = {name: rubric.for_assignment(name).total for name in rubric.assignments}
    found = []
    for path in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for name, total in totals.items():
                if re.search(rf"`?{name}`?,? {total:g} points", line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "assignment totals written by hand (`python -m autograder rubric` prints them):\n" + \
        "\n".join(found)


def _imports(package: str) -> dict[str, set[str]]:
    """Module -> the project modules it imports (at the top or inside a function), by dotted name."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        here = name if is_package else name.rsplit(".", 1)[0]
        found = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            found.update(t for t in targets if t.split(".")[0] in ("autograder", "micrograd_feedback", "solutions",
                                                                     "deploy", "tools", "tests"))
    return graph


def test_the_import_graph_has_no_cycle_and_the_student_side_imports_nothing_of_the_graders():
    graph = {**_imports("autograder"), **_imports("micrograd_feedback")}
    edges = {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    assert not cycles, f"modules that import each other: {cycles}"
    upward = {m: sorted(t for t in targets if not t.startswith("micrograd_feedback"))
              for m, targets in graph.items() if m.startswith("micrograd_feedback")}
    assert not {m: t for m, t in upward.items() if t}, "the student side imports the grader's code"
    below = {m: sorted(t for t in targets if t.split(".")[0] in ("deploy", "tools", "tests"))
             for m, targets in graph.items() if m.startswith("autograder")}
    assert not {m: t for m, t in below.items() if t}, "the grader imports its drivers or tests"
