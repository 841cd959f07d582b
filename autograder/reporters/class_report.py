"""The class at a glance: ``class-report.html`` beside the gradebook, written by ``grade-batch``.

One self-contained page (inline SVG and CSS, nothing fetched): the score
histogram, a part x diagnosis heatmap, a "needs attention" list linking each
student's feedback, and the class's most common bugs with one example each.
Charts are drawn with matplotlib when it is installed (the course extra); without it the
page keeps its tables and says how to get the charts.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from dataclasses import dataclass

from micrograd_feedback.result import SubmissionResult
from micrograd_feedback.untrusted import html_href, shown

from ..rubric import Rubric
from ..similarity import Similarity
from . import similarity
from .similarity import STYLE as SIMILAR_STYLE

# What each kind of problem is called in the needs-attention list (autograder/intake/submission.py's kinds).
PROBLEM_LABELS = {
    "missing": "missing {module}.py",
    "refused": "{module}.py not read (a link or special file)",
    "undecodable": "{module}.py undecodable",
    "syntax": "syntax error in {module}.py",
    "kit-import": "{module}.py imports the course's own code",
    "autodiff-import": "{module}.py imports an autodiff library",
    "files-not-read": "some files not read",
    "notebook-changed": "the notebook's grading cells or IPython commands (see its result)",
}


@dataclass(frozen=True)
class Attention:
    """One student the instructor should look at, and why."""

    name: str
    score: float | None  # None: the grader failed on it
    reasons: tuple[str, ...]


def needs_attention(results: dict[str, SubmissionResult | None], errors: dict[str, str],
                    rubric: Rubric) -> list[Attention]:
    """Submissions with a zero, a timeout, a problem that cost a whole module, or no grade at all."""
    found = []
    for name, result in results.items():
        if result is None:
            found.append(Attention(name, None, (f"not graded: {errors.get(name, 'the grader failed')}",)))
            continue
        reasons = []
        if result.score == 0:
            reasons.append("score 0")
        for module, kind in sorted(result.problem_kinds.items()):
            label = PROBLEM_LABELS.get(kind, kind)
            reasons.append(label.format(module=module))
        timed_out = sorted({c.part for c in result.checks if c.status == "timeout"})
        if timed_out:
            reasons.append(f"timed out in {', '.join(timed_out)}")
        if reasons:
            found.append(Attention(name, result.score, tuple(reasons)))
    return sorted(found, key=lambda a: (a.score is not None, a.score or 0.0, a.name))


def _svg(figure) -> str:
    """A matplotlib figure as inline SVG (its XML header dropped)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def histogram_svg(scores: list[float], max_score: float) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 2.8))
    bins = [max_score * i / 20 for i in range(21)]
    axes.hist(scores, bins=bins, color="#4c72b0", edgecolor="white")
    axes.set_xlabel(f"score (out of {max_score:g})")
    axes.set_ylabel("submissions")
    axes.set_xlim(0, max_score)
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def heatmap_svg(counts: dict[tuple[str, str], int], parts: list[str], keys: list[str]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = [[counts.get((part, key), 0) for key in keys] for part in parts]
    figure, axes = plt.subplots(figsize=(1.2 + 0.55 * len(keys), 0.9 + 0.38 * len(parts)))
    image = axes.imshow(grid, cmap="Reds", aspect="auto", vmin=0)
    axes.set_xticks(range(len(keys)), keys, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(parts)), parts, fontsize=8)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                axes.text(j, i, str(value), ha="center", va="center", fontsize=7,
                          color="white" if value > max(map(max, grid)) / 2 else "black")
    from matplotlib.ticker import MaxNLocator

    figure.colorbar(image, ax=axes, label="submissions", ticks=MaxNLocator(integer=True))
    return _svg(figure)


SORT_SCRIPT = """
// Sort a table by the clicked column (numbers by value, text alphabetically, empty cells last); click again
// to reverse.
document.querySelectorAll("table.sortable th").forEach((th, column) => {
  th.addEventListener("click", () => {
    const body = th.closest("table").tBodies[0];
    const descending = th.dataset.order !== "descending";
    th.closest("tr").querySelectorAll("th").forEach(other => delete other.dataset.order);
    th.dataset.order = descending ? "descending" : "ascending";
    const key = row => row.cells[column].dataset.value ?? row.cells[column].textContent;
    const rows = [...body.rows].sort((a, b) => {
      const x = key(a), y = key(b), numbers = x !== "" && y !== "" && !isNaN(x) && !isNaN(y);
      if (x === "" || y === "") return (x === "") - (y === "");
      const order = numbers ? Number(x) - Number(y) : x.localeCompare(y);
      return descending ? -order : order;
    });
    body.append(...rows);
  });
});
"""


# The tables of the class's pages: this report, and the similar-code page alone (``similarity_page``).
TABLE_STYLE = """table { border-collapse: collapse; margin: 1em 0; }
caption { text-align: left; font-weight: 600; padding: .3em 0; }
td, th { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }"""


def _titled(svg: str, title: str) -> str:
    """An inline SVG with a <title> (what a screen reader says, and the tooltip)."""
    end = svg.find(">") + 1
    return f"{svg[:end]}<title>{html.escape(title)}</title>{svg[end:]}" if end else svg


def render(results: dict[str, SubmissionResult | None], errors: dict[str, str], rubric: Rubric,
           roster: dict | None = None, late: dict | None = None, notes: dict | None = None,
           similar: Similarity | str | None = None) -> str:
    """The page, from every submission's result (None where the grader failed); ``roster`` (id -> Student)
    names each student, and lists those who handed in nothing; ``late`` (id -> ``late.Late``): the late
    penalty and the score after it, in their own columns; ``notes`` (id -> the overrides' notes and what a re-grade
    changed): under the student's diagnoses (the score shown is the overridden one); ``similar``: the pairs of
    similar code to review (``autograder/similarity.py``), or a sentence saying why there are none to show."""
    from micrograd_feedback.diagnosis.catalogue import generic

    roster = roster or {}
    graded = {n: r for n, r in results.items() if r is not None}
    scores = [r.score for r in graded.values()]
    parts = list(rubric.parts)
    per_cell: Counter[tuple[str, str]] = Counter()
    per_key: Counter[str] = Counter()
    example: dict[str, tuple[str, str]] = {}
    for name, result in sorted(graded.items()):
        seen: set[tuple[str, str]] = set()
        for check in result.failed():
            for key in check.keys():
                seen.add((check.part, key))
                example.setdefault(key, (name, check.message))
        per_cell.update(seen)
        per_key.update({key for _, key in seen})
    keys = [key for key, _ in per_key.most_common(20)]
    attention = needs_attention(results, errors, rubric)
    attention += [Attention(student_id, None, ("no submission",)) for student_id in roster or {}
                  if student_id not in results]

    try:
        histogram = _titled(histogram_svg(scores, rubric.total), "Histogram of the class's scores") if scores \
            else "<p>No submission was graded.</p>"
        heatmap = _titled(heatmap_svg(per_cell, parts, keys), "How many submissions show each bug in each part") \
            if keys else "<p>No diagnosis in this class.</p>"
    except ImportError:
        histogram = heatmap = "<p>Install matplotlib (<code>pip install -e '.[course]'</code>) for the charts.</p>"

    e = html.escape

    def who(name: str) -> str:
        student = roster.get(name)
        return student.display if student is not None else shown(name)

    def link(name: str) -> str:
        if name not in results:  # on the roster, no submission: no feedback to open
            return e(who(name))
        return f'<a href="{e(html_href(name, "feedback.html"))}">{e(who(name))}</a>'

    if isinstance(similar, Similarity):
        similar_section = similarity.section(similar, who, link)
    else:
        similar_section = f'<h2 id="similarity">Similar code, for review</h2>\n<p>{e(similar)}</p>' if similar else ""
    mean = sum(scores) / len(scores) if scores else 0.0
    full = sum(s >= rubric.total - 1e-9 for s in scores)
    title = f"Class report{f' ({rubric.assignment})' if rubric.assignment else ''}"
    rows = []
    for item in attention:
        score = "—" if item.score is None else f"{item.score:g}"
        why = e(shown("; ".join(item.reasons), 2_000))
        rows.append(f"<tr><td>{link(item.name)}</td><td class=n>{score}</td><td>{why}</td></tr>")
    students = []
    for name, mine in sorted(results.items(), key=lambda item: who(item[0]).casefold()):
        if mine is None:
            cells = [f"<td class=n data-value=''>{e('not graded')}</td>"] + ["<td class=n data-value=''></td>"] * \
                (len(parts) + (2 if late is not None else 0)) + \
                [f"<td>{e(shown(errors.get(name, 'the grader failed'), 300))}</td>"]
        else:
            found = sorted({key for check in mine.failed() for key in check.keys()})
            cells = [f"<td class=n data-value='{mine.score:g}'>{mine.score:g}</td>"]
            if late is not None:  # beside the raw score, where the eye is
                taken = late.get(name)
                cells += ([f"<td class=n data-value='{taken.penalty:g}'>{taken.penalty:g}</td>",
                           f"<td class=n data-value='{taken.score:g}'>{taken.score:g}</td>"] if taken is not None
                          else ["<td class=n data-value=''>no time</td>", "<td class=n data-value=''></td>"])
            cells += [f"<td class=n data-value='{mine.parts[p].score:g}'>{mine.parts[p].score:g}</td>"
                      if p in mine.parts else "<td class=n data-value=''></td>" for p in parts]
            said = "".join(f"<br><em>{e(shown(note, 300))}</em>" for note in (notes or {}).get(name, []))
            cells.append(f"<td>{e(', '.join(found)) or '—'}{said}</td>")
        students.append(f"<tr><td>{link(name)}</td>{''.join(cells)}</tr>")
    for student_id, student in roster.items():
        if student_id not in results:
            students.append(f"<tr><td>{e(student.display)}</td><td class=n data-value=''>no submission</td>"
                            + "<td class=n data-value=''></td>" * (len(parts) + (2 if late is not None else 0))
                            + "<td></td></tr>")
    unknown = sorted(n for n in results if roster and n not in roster)
    bugs = []
    for key in keys:
        name, message = example[key]
        bugs.append(f"<tr><td><code>{e(key)}</code></td><td class=n>{per_key[key]}</td><td>{e(generic(key))}"
                    f"</td><td>{link(name)}<pre>{e(shown(message[:600], lines=True))}</pre></td></tr>")
    part_rows = []
    for part in parts:
        points = rubric.parts[part].points
        got = [r.parts[part].score for r in graded.values() if part in r.parts]
        passed = sum(s >= points - 1e-9 for s in got)
        part_rows.append(f"<tr><td>{e(part)}</td><td class=n>{points:g}</td>"
                         f"<td class=n>{(sum(got) / len(got) if got else 0):.2f}</td>"
                         f"<td class=n>{(100 * passed / len(got) if got else 0):.0f} %</td></tr>")
    headers = "".join(f"<th title='{e(rubric.parts[p].title)}'>{e(p)}</th>" for p in parts)
    missing = [s for i, s in roster.items() if i not in results]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; color: #222; }}
{TABLE_STYLE}
table.sortable th {{ cursor: pointer; }}
table.sortable th[data-order=ascending]::after {{ content: " ▲"; }}
table.sortable th[data-order=descending]::after {{ content: " ▼"; }}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8em; margin: .3em 0; max-width: 50em; }}
svg {{ max-width: 100%; height: auto; }}
{SIMILAR_STYLE if isinstance(similar, Similarity) else ""}
</style></head><body>
<h1>{e(title)}</h1>
<p id="overview">{len(graded)} of {len(results)} submissions graded; mean {mean:.1f} / {rubric.total:g};
full marks {full}; needing attention {len(attention)}{f"; no submission from {len(missing)} of the roster" if roster
 else ""}{f"; {len(unknown)} not on the roster" if unknown else ""}.</p>
<h2 id="histogram">Score distribution</h2>
{histogram}
<h2 id="needs-attention">Needs attention</h2>
{"<table><caption>Submissions with a zero, a timeout, an unreadable or missing file, or no grade</caption>"
 "<tr><th>Student</th><th>Score</th><th>Why</th></tr>" + "".join(rows) + "</table>" if rows
 else "<p>Nobody: no zero, timeout, missing file or unreadable module.</p>"}
<h2 id="students">Every student</h2>
<table class="sortable" id="students-table"><caption>Every student's score and each part's (click a heading to sort);
the name opens the student's feedback</caption>
<thead><tr><th>Student</th><th>Score</th>{"<th>Late penalty</th><th>After penalty</th>" if late is not None
 else ""}{headers}<th>Diagnoses</th></tr></thead>
<tbody>{"".join(students)}</tbody></table>
{f"<p>Not on the roster: {e(', '.join(shown(n) for n in unknown))}.</p>" if unknown else ""}
<h2 id="parts">Parts</h2>
<table><caption>Each part: its points, the class's mean and how many have it all</caption>
<tr><th>Part</th><th>Points</th><th>Mean</th><th>Full marks</th></tr>{"".join(part_rows)}</table>
<h2 id="heatmap">Which bugs, in which part</h2>
{heatmap}
<h2 id="bugs">Most common bugs</h2>
{"<table><caption>The diagnoses seen most often, with one example each</caption>"
 "<tr><th>Diagnosis</th><th>Submissions</th><th>Meaning</th><th>One example</th></tr>" + "".join(bugs)
 + "</table>" if bugs else "<p>None.</p>"}
{similar_section}
<script>{SORT_SCRIPT}</script>
</body></html>
"""


def similarity_page(found: Similarity, title: str = "Similar code, for review") -> str:
    """A self-contained page with the report's similar-code section alone (``python -m autograder similarity``)."""
    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 100em; padding: 0 1em; color: #222; }}
{TABLE_STYLE}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
{SIMILAR_STYLE}
</style></head><body>
{similarity.section(found)}
</body></html>
"""
