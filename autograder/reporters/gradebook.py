"""A class's reports: ``gradebook.csv``, ``summary.md`` and ``class-report.html`` (``class_report``),
rendered from every submission's stored result (None where the grader failed, with its reason);
the batch writes them beside the results."""

from __future__ import annotations

import csv
import io
from collections import Counter

from micrograd_feedback.result import SubmissionResult
from micrograd_feedback.untrusted import csv_cell, markdown_text

from ..late import Late, late_by
from ..rubric import Rubric
from ..similarity import Similarity
from . import class_report


def render(results: dict[str, dict | None], errors: dict[str, str], rubric: Rubric,
           roster: dict | None = None, late: dict[str, Late] | None = None,
           similar: Similarity | str | None = None) -> dict[str, str]:
    """File name -> text: ``results`` are the stored JSON results by submission, ``errors`` why the
    grader failed on those without one; ``late`` (``grade-batch --late``): each graded submission's
    lateness, shown apart from the raw score; ``similar``: the class report's similar code
    (``autograder/similarity.py``), or why it is missing (None: turned off)."""
    from micrograd_feedback.diagnosis.catalogue import generic

    parts = list(rubric.parts)
    roster = roster or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    named = ["last_name", "first_name", "email"] if roster else []
    extra_columns = ["submitted", "late_by", "late_penalty", "score_after_penalty"] if late is not None else []
    overridden = any(r is not None and r.get("overrides") for r in results.values())  # overrides.apply's notes
    extra_columns += ["overrides"] if overridden else []
    regraded = any(r is not None and r.get("changes") for r in results.values())  # batch/history.py's
    extra_columns += ["changes"] if regraded else []
    writer.writerow(["submission", *named, "status", *parts, "total", "max_score", *extra_columns])

    def extras(name: str) -> list[object]:
        said: list[object] = ["; ".join((results[name] or {}).get("overrides") or [])] if overridden else []
        said += ["; ".join((results[name] or {}).get("changes") or [])] if regraded else []
        if late is None:
            return said
        mine = late.get(name)
        if mine is None:
            return ["unknown", "", "", "", *said]
        return [mine.submitted, late_by(mine.seconds_late) if mine.seconds_late > 0 else "",
                mine.penalty, mine.score, *said]

    def names(student_id: str) -> list[str]:
        student = roster.get(student_id)
        return [student.last_name, student.first_name, student.email] if student else [""] * len(named)

    for name, result in results.items():  # no cell ever starts a formula (untrusted.csv_cell)
        if result is None:
            row = [name, *names(name), "error", *[""] * len(parts), "", rubric.total, *[""] * len(extra_columns)]
        else:
            scores = [result["parts"].get(p, {}).get("score", "") for p in parts]
            row = [name, *names(name), "graded", *scores, result["score"], result["max_score"], *extras(name)]
        writer.writerow([csv_cell(cell) for cell in row])
    for student_id in roster:
        if student_id not in results:
            row = [student_id, *names(student_id), "no submission", *[""] * len(parts), "", rubric.total,
                   *[""] * len(extra_columns)]
            writer.writerow([csv_cell(cell) for cell in row])
    files = {"gradebook.csv": buffer.getvalue()}

    graded = {n: r for n, r in results.items() if r is not None}
    lines = ["# Class summary", ""]
    missing = len(results) - len(graded)
    lines.append(f"{len(graded)} of {len(results)} submissions graded"
                 + (f"; {missing} could not be graded (see below)." if missing else "."))
    if graded:
        totals = [r["score"] for r in graded.values()]
        lines += ["", f"Mean score {sum(totals) / len(totals):.1f} / {rubric.total:g}; "
                      f"full marks: {sum(t >= rubric.total - 1e-9 for t in totals)}.", ""]
        lines += ["| Part | Points | Mean | Pass rate |", "|---|---:|---:|---:|"]
        for part in parts:
            scores = [r["parts"].get(part, {}).get("score", 0.0) for r in graded.values()]
            points = rubric.parts[part].points
            passed = sum(s >= points - 1e-9 for s in scores)
            mean, rate = sum(scores) / len(scores), 100 * passed / len(scores)
            lines.append(f"| {part} | {points:g} | {mean:.2f} | {rate:.0f} % |")
        counts: Counter[str] = Counter()
        examples: dict[str, list[str]] = {}
        for name, result in graded.items():
            found = SubmissionResult.from_json(result).diagnosis_keys()
            counts.update(found)
            for key in found:
                examples.setdefault(key, []).append(name)
        lines += ["", "## Most frequent diagnoses", ""]
        if counts:
            lines += ["| Diagnosis | Submissions | Meaning | e.g. |", "|---|---:|---|---|"]
            for key, count in counts.most_common(15):
                meaning = generic(key).replace("|", "\\|")
                shown_names = ", ".join(markdown_text(n) for n in sorted(examples[key])[:3])
                lines.append(f"| `{key}` | {count} | {meaning} | {shown_names} |")
        else:
            lines.append("None.")
    if late is not None:
        penalised = {n: m for n, m in sorted(late.items()) if m.penalty > 0}
        unknown = sorted(n for n in graded if n not in late)
        lines += ["", "## Late", ""]
        lines += [f"- {markdown_text(n)}: {markdown_text(m.sentence())}" for n, m in penalised.items()] or \
            ["Nobody lost points for lateness."]
        if unknown:
            lines.append(f"- No submission time (not in --times), so no penalty: "
                         f"{', '.join(markdown_text(n) for n in unknown)}")
    again = {n: r["changes"] for n, r in sorted(graded.items()) if r.get("changes")}
    if again:
        lines += ["", "## Graded again", ""]
        lines += [f"- {markdown_text(n)}: {markdown_text('; '.join(c))}" for n, c in again.items()]
    failed = [n for n, r in results.items() if r is None]
    if failed:
        lines += ["", "## Not graded (the grader failed; re-run to retry)", ""]
        lines += [f"- {markdown_text(name)}: {markdown_text(errors.get(name, 'not graded yet'))}" for name in failed]
    files["summary.md"] = "\n".join(lines) + "\n"
    files["class-report.html"] = class_report.render(
        {n: SubmissionResult.from_json(r) if r is not None else None for n, r in results.items()},
        {n: errors.get(n, "not graded yet") for n in failed}, rubric, roster, late,
        {n: [f"Since the last grading: {c}" for c in r.get("changes", [])] + [f"Instructor: {o}" for o in
                                                                           r.get("overrides", [])]
         for n, r in graded.items() if r.get("overrides") or r.get("changes")}, similar)
    return files
