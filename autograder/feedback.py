"""A student's feedback file (Markdown) from a result, with a picture for a wrong gradient.

Everything here runs on the trusted side and reads only the result: messages
were written by the checks (the student's own text in them is already capped
and sanitised by the launcher).  For the first wrong gradient of an engine
operation, the expression the check ran (``Ran: out = EXPR with a=...``) is
rebuilt with the *reference* engine and drawn; the inputs whose gradient
differs from the student's are marked in red with both values.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from .sandbox.runtime.probes import outputs_first

RAN = re.compile(r"Ran: out = (?P<expr>.+?) with (?P<inputs>[^;\n]+)(?:; out\.grad = (?P<out_grad>[^;\n]+))?;")
GRADS = re.compile(r"^(?P<which>Expected|Got): grads (?P<values>.*)$", re.MULTILINE)
NAME = re.compile(r"^[a-z]$")
DIAGNOSIS = re.compile(r"\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\]")


def diagnoses(message: str) -> list[str]:
    """The catalogued bug keys a message names (``[key]``)."""
    return DIAGNOSIS.findall(message or "")


def render(name: str, result: dict, folder: Path) -> str:
    """The Markdown feedback for ``result``; pictures are written into ``folder``."""
    lines = [f"# Feedback for {_text(name)}", ""]
    lines += [f"**Score: {result['score']:g} / {result['max_score']:g}**", ""]
    lines += ["| Part | Score | Out of |", "|---|---:|---:|"]
    for part_id, part in result["parts"].items():
        mark = "" if part["score"] == part["max_score"] else " ✗"
        lines.append(f"| {_text(part.get('title', part_id))} | {part['score']:g}{mark} | {part['max_score']:g} |")
    lines.append("")
    problems = result.get("problems") or {}
    if problems:
        lines += ["## Files that could not be graded", ""]
        lines += [f"- {_text(message)}" for message in problems.values()]
        lines.append("")
    failed_parts = [p for p, part in result["parts"].items() if part["score"] < part["max_score"]]
    if failed_parts:
        lines += ["## What to fix", "", "The first failed check of each part that lost points:", ""]
    for part_id in failed_parts:
        tests = [t for t in result["tests"] if t["part"] == part_id and t["status"] != "passed"]
        if not tests:
            continue
        first = tests[0]
        title = result["parts"][part_id].get("title", part_id)
        lines += [f"### {_text(title)}", ""]
        lines.append(f"{len(tests)} of {len([t for t in result['tests'] if t['part'] == part_id])} checks "
                     f"failed; the first ({first['status']}):")
        lines += ["", "```text", _fence(first["message"]), "```", ""]
        picture = gradient_picture(first["message"], folder / f"graph-{part_id}.svg")
        if picture:
            lines += [f"![The expression graph; red: wrong gradient]({picture.name})", "",
                      "The graph of that expression, computed by the reference engine. Each box shows a "
                      "node's value and its correct gradient; the red boxes are the first nodes whose "
                      "gradient differs from yours (your value is in their label).", ""]
    if not failed_parts:
        lines += ["Every check passed. Well done!", ""]
    lines += ["---", f"Graded in isolation: {_text(result.get('isolation', 'unknown'))}", ""]
    return "\n".join(lines)


def gradient_picture(message: str, path: Path) -> Path | None:
    """Draw the checked expression with the reference engine, marking wrong gradients; None if n/a."""
    parsed = parse_gradient_failure(message)
    if parsed is None:
        return None
    expr, inputs, out_grad, expected, got = parsed
    try:
        from solutions.engine import Value
        from solutions.viz import draw_dot
    except ImportError:
        return None
    leaves = {name: Value(value, label=name) for name, value in inputs.items()}
    try:
        out = eval(expr, {"__builtins__": {}}, dict(leaves))
    except Exception:  # noqa: BLE001 - an expression the reference cannot draw: no picture
        return None
    if not isinstance(out, Value):
        return None
    out.label = "out"
    out.grad = out_grad
    for node in outputs_first(out, lambda node: node._prev):
        node._backward()
    wrong = []
    for name, leaf in leaves.items():
        mine = got.get(name)
        if mine is None or not _close(mine, leaf.grad):
            leaf.label = f"{name} (yours: grad {_number(mine)})"
            wrong.append(leaf)
    if not wrong:
        return None
    try:
        svg = draw_dot(out, highlight=wrong).pipe(format="svg")
    except Exception:  # noqa: BLE001 - no graphviz (`dot`) here: feedback without the picture
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(svg)
    return path


def parse_gradient_failure(message: str):
    """(expr, inputs, out_grad, expected, got) from a wrong-gradient message of an op check, else None."""
    ran = RAN.search(message or "")
    grads = {m.group("which"): _assignments(m.group("values")) for m in GRADS.finditer(message or "")}
    if not ran or "Expected" not in grads or "Got" not in grads:
        return None
    inputs = _assignments(ran.group("inputs"))
    try:
        out_grad = float(ran.group("out_grad") or 1.0)
    except ValueError:
        return None
    if not inputs or any(v is None for v in inputs.values()) or len(ran.group("expr")) > 2000:
        return None
    return ran.group("expr"), inputs, out_grad, grads["Expected"], grads["Got"]


def _assignments(text: str) -> dict[str, float | None]:
    values = {}
    for item in text.split(","):
        if "=" not in item:
            continue
        name, _, value = item.partition("=")
        name = name.strip()
        if not NAME.match(name):
            continue
        try:
            values[name] = float(value.split()[0])
        except ValueError:
            values[name] = None
    return values


def _close(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6)


def _number(x) -> str:
    return "missing" if x is None else f"{x:.6g}"


def _text(text: object) -> str:
    """One line of Markdown-inert text."""
    text = str(text).replace("\n", " ")
    return re.sub(r"([\\`*_{}\[\]<>#|!])", r"\\\1", text)


def _fence(text: str) -> str:
    return str(text).replace("```", "'''")
