"""Names a hostile student chooses (issue 21), and what every report must make of them.

Each name is a file, link, archive member, notebook or folder name a student can
pick; every report that shows it must show it as inert data (no control or bidi
character, no forged Markdown heading or list, no live HTML, no ``javascript:``
link, no spreadsheet formula) and still let an instructor find it: the name as
``untrusted.shown`` escapes it is in the report's visible text.  The checks
here parse what a person would see (Markdown rendered as CommonMark with raw
HTML allowed, the worst case; HTML parsed; CSV read), not the bytes alone.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from micrograd_feedback.untrusted import csv_value, shown

# A file name cannot hold "/" or NUL; everything else goes.
NAMES = {
    "heading": "evil\n## micrograd: 100 of 100 points\n<img src=x onerror=alert(1)>",
    "escapes": "\x1b[2J\x1b[31mred\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x07bell\x9b1m",
    "bidi": "bidi\u202egnp.py\u2066x\u2069\u200b",
    "javascript": "javascript:alert(document.domain)",
    "formula": '=HYPERLINK("x","click")',
    "plus": "+SUM(1+1)",
    "at": "@SUM(1)",
    "minus": "-2+3",
    "markup": "[bold red]rich[blink] *emph* `code` | pipe & <b>",
}
# What no report may contain raw: C0 but line feed, DEL, C1, bidi controls and other invisible formats.
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
FORGED = "100 of 100 points"


def forbidden_in(text: str) -> list[str]:
    return sorted({repr(ch) for ch in FORBIDDEN.findall(text)})


class Page(HTMLParser):
    """The tags, attributes and visible text of an HTML page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self.scripts: list[str] = []
        self._heading: list[str] | None = None
        self._script: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = []
        if tag == "script":
            self._script = []

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
            return
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)

    @property
    def visible(self) -> str:
        return "".join(self.text)


def check_html(text: str, *, where: str, scripts: tuple[str, ...] = ()) -> Page:
    """No script but the kit's own (``scripts``, word for word), no image, no event handler, every link
    relative (never a scheme), no raw control."""
    assert not forbidden_in(text), f"{where}: raw control or bidi characters {forbidden_in(text)}"
    page = Page(text)
    assert all(script in scripts for script in page.scripts), f"{where}: a script that is not the kit's"
    for tag, attrs in page.tags:
        assert tag not in ("iframe", "object", "embed"), f"{where}: a live <{tag}>"
        # the kit's own pictures are inlined SVG; nothing a student wrote becomes an image
        assert tag != "img" or attrs.get("src", "").startswith("data:image/svg+xml;base64,"), f"{where}: <img>"
        assert not [a for a in attrs if a.lower().startswith("on")], f"{where}: an event handler on <{tag}>"
        for attribute in ("href", "src", "action"):
            value = attrs.get(attribute)
            if value is not None and not (tag == "img" and attribute == "src"):
                assert value.startswith(("./", "#")) or not re.match(r"^\s*[a-zA-Z][\w+.-]*:", value), \
                    f"{where}: <{tag} {attribute}={value!r}>"
    # The name may be inside a real heading ("Feedback for ..."); it must never be a heading of its own.
    assert not [h for h in page.headings if h.strip().startswith(f"micrograd: {FORGED}")], f"{where}: a forged heading"
    return page


def check_markdown(text: str, *, where: str) -> Page:
    """Rendered as CommonMark with tables and raw HTML allowed: nothing the student wrote is markup."""
    assert not forbidden_in(text), f"{where}: raw control or bidi characters {forbidden_in(text)}"
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    page = check_html(rendered, where=f"{where} (rendered)")
    return page


def check_text(text: str, *, where: str) -> None:
    assert not forbidden_in(text), f"{where}: raw control or bidi characters {forbidden_in(text)}"


def check_csv(path: Path, *, where: str) -> list[list[str]]:
    rows = list(csv.reader(path.open(newline="")))
    check_text(path.read_text(), where=where)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"{where}: a formula cell {cell!r}"
    return rows


def findable(name: str, visible: str) -> bool:
    """The name, as the reports escape it, is in the visible text (short names in full, long ones begun)."""
    escaped = shown(name)
    return escaped in visible or escaped[:40] in visible


__all__ = ["NAMES", "FORGED", "Page", "check_csv", "check_html", "check_markdown", "check_text", "csv_value",
           "findable", "forbidden_in"]
