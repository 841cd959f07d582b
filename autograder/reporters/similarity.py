"""Similar code, for review: the class report's section (the page of ``python -m autograder similarity``
holds it alone: ``class_report.similarity_page``).

A table of the pairs ``autograder/similarity.py`` found, then each pair side by side with the code they
share highlighted.  Worded as a reason to look, never as a verdict.  A student's code is shown as
text: escaped for HTML, its control and bidi characters made visible (``untrusted.shown``).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from micrograd_feedback.untrusted import shown

from ..similarity import BUDGET_SECONDS, PUBLIC, SIDE_BY_SIDE, STUDENT, Document, Pair, Similarity

LISTED_PAIRS = 300  # in the table: more says the threshold is too low for this class
SHOWN_CHARS = 60_000  # of each side's code
STYLE = """
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.pair > div { min-width: 0; }  /* a long line scrolls inside its side, not the page */
.pair pre { max-width: none; font-size: .75em; line-height: 1.45; background: #f7f7f7; padding: .5em;
            white-space: pre; overflow-x: auto; }
.pair mark { background: #ffd966; }
details.similar { margin: .6em 0; }
details.similar summary { cursor: pointer; }
"""
# "side by side" opens the pair it links to (a closed <details> would show only its summary)
OPEN_SCRIPT = """
document.querySelectorAll("a[href^='#pair-']").forEach(a => a.addEventListener("click", () => {
  document.getElementById(a.hash.slice(1)).open = true;
}));
"""
e = html.escape


def section(found: Similarity, name_of: Callable[[str], str] | None = None,
            link: Callable[[str], str] | None = None) -> str:
    """The section's HTML: ``name_of`` (a submission -> its student's name, as text) and ``link`` (-> an
    HTML link to its feedback) come from the class report; by default the folder's name, shown inert."""
    name_of = name_of or (lambda name: shown(name))
    link = link or (lambda name: e(name_of(name)))
    percent = f"{found.threshold:.0%}"
    against = ", ".join(shown(name) for name in found.public) or "no public source"
    intro = (f"<p>Pairs where at least {percent} of one side's own code is also in the other's: code beyond the "
             "skeleton and the released notebooks, compared by copydetect over tokens, names ignored (renaming "
             "changes nothing). This is a reason to look, not a finding: correct engines resemble each other, "
             f"and the lectures write one line by line. {found.compared} submission(s) compared with each other "
             f"and with: {e(against)}.</p>")
    if found.unfinished:
        intro += (f"<p><strong>Not every pair was compared:</strong> the time budget ({BUDGET_SECONDS:g} s) ran "
                  f"out with {found.unfinished} comparison(s) left; the pairs below are those found before.</p>")
    if not found.pairs:
        return f'<h2 id="similarity">Similar code, for review</h2>\n{intro}\n<p>No pair at or above {percent}.</p>'

    def label(document: Document) -> str:
        return link(document.name) if document.kind == STUDENT else f"<em>{e(source_name(document))}</em>"

    rows = []
    for number, pair in enumerate(found.pairs[:LISTED_PAIRS], 1):
        more = f'<a href="#pair-{number}">side by side</a>' if number <= SIDE_BY_SIDE else "—"
        rows.append(f"<tr><td>{label(pair.left)}</td><td>{label(pair.right)}</td>"
                    f"<td class=n>{pair.left_share:.0%}</td><td class=n>{pair.right_share:.0%}</td>"
                    f"<td>{more}</td></tr>")
    shown_pairs = "\n".join(_side_by_side(number, pair, name_of)
                            for number, pair in enumerate(found.pairs[:SIDE_BY_SIDE], 1))
    return f"""<h2 id="similarity">Similar code, for review</h2>
{intro}
<table id="similarity-table"><caption>Pairs to review, most similar first</caption>
<tr><th>Submission</th><th>Shares code with</th><th>Of the submission's own code</th><th>Of the other's</th>
<th></th></tr>
{"".join(rows)}</table>
{f"<p>{len(found.pairs) - LISTED_PAIRS} more pair(s) not listed: a higher threshold lists fewer.</p>"
 if len(found.pairs) > LISTED_PAIRS else ""}
{shown_pairs}
<script>{OPEN_SCRIPT}</script>"""


def source_name(document: Document) -> str:
    """A public source or the reference, as the report names it."""
    return f"{shown(document.name)} (public source)" if document.kind == PUBLIC else document.name


def _side_by_side(number: int, pair: Pair, name_of: Callable[[str], str]) -> str:
    def title(document: Document) -> str:
        return name_of(document.name) if document.kind == STUDENT else source_name(document)

    left, right = title(pair.left), title(pair.right)
    return f"""<details class="similar" id="pair-{number}"><summary>{e(left)} and {e(right)}: \
{pair.left_share:.0%} of {e(left)}'s own code is also in {e(right)}'s, and {pair.right_share:.0%} of \
{e(right)}'s in {e(left)}'s (highlighted)</summary>
<div class="pair"><div><h3>{e(left)}</h3><pre>{highlighted(pair.left.text, pair.left_spans)}</pre></div>
<div><h3>{e(right)}</h3><pre>{highlighted(pair.right.text, pair.right_spans)}</pre></div></div></details>"""


def highlighted(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """``text`` as inert HTML, the ``spans`` (character ranges) inside <mark>; cut at ``SHOWN_CHARS``."""
    def inert(segment: str) -> str:
        return e(shown(segment, cap=len(segment) * 10 + 10, lines=True))

    out, at = [], 0
    limit = min(len(text), SHOWN_CHARS)
    for start, end in spans:
        if start >= limit:
            break
        end = min(end, limit)
        out.append(inert(text[at:start]) + f"<mark>{inert(text[start:end])}</mark>")
        at = end
    out.append(inert(text[at:limit]))
    if limit < len(text):
        out.append("\n… (cut)")
    return "".join(out)
