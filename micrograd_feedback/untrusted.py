"""Text a submission chose, made inert: one sanitiser, then one escaper per output format.

Everything a student controls can reach a report: file, folder, link, archive-member and
notebook names, exception text, labels, ``repr``s.  It passes ``shown`` once, at the boundary
where it enters a result (``submission.py``, ``result.py``, ``deploy/intake.py``, the batch's
folder names): control characters (C0, C1, so every ESC sequence, BEL and OSC), bidi controls
(U+202A-202E, U+2066-2069) and every other invisible or format character become visible
escapes (``\\x1b``, ``\\u202e``), and the text is capped.  A name is shown escaped, never
hidden, so an instructor can still find the file.

Each reporter then escapes for its own format, with the helpers below: Markdown (nothing
can open a heading, list, link, image or HTML), HTML (text escaped; a link is a relative
path, percent-encoded, so never a ``javascript:`` URL), CSV (a cell never starts a
spreadsheet formula, OWASP's "CSV Injection"; ``csv_value`` reads it back).  JUnit XML is
escaped by ElementTree, the terminal prints data with rich's markup off.

Standard library only: the student side imports it too.
"""

from __future__ import annotations

import re
from urllib.parse import quote

NAME_CHARS = 200  # a file or folder name as shown


def shown(text: object, cap: int = NAME_CHARS, *, lines: bool = False) -> str:
    """``text`` with every non-printable character as a visible escape, at most ``cap`` characters.

    ``lines``: keep line breaks (``\\n``), for a multi-line message; everything else that
    ``str.isprintable`` refuses (Cc, Cf, Zl, Zp, Zs but the space, unassigned) is escaped.
    Applying it twice changes nothing."""
    text = str(text)
    if not (text.isprintable() or lines and text.replace("\n", "").isprintable()):
        text = "".join(ch if ch.isprintable() or (lines and ch == "\n") else _escape(ch) for ch in text)
    return text if len(text) <= cap else text[: max(cap - 10, 0)] + " ... (cut)"


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


# -- Markdown -------------------------------------------------------------------------------
# code, emphasis, links, images, HTML, headings, table cells, entities, URLs (GFM autolinks), and an
# underscore where it could open or close emphasis (not inside a word: micrograd_skeleton stays as it is)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>#|!&:~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_MARKDOWN_LINE_START = re.compile(r"^(\s*|\s*\d+)([-+=.)])")  # a list item or a setext underline


def markdown_text(text: object, cap: int = 2_000) -> str:
    """One line of inert Markdown: no heading, list, link, image, code, table cell or HTML.

    Every punctuation character that could start one is backslash-escaped (CommonMark renders
    ``\\<`` as ``<``), so the reader sees the text as it was; an underscore inside a word
    (``micrograd_skeleton``) is text already and stays as it is."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", shown(text, cap).replace("\n", " "))
    return _MARKDOWN_LINE_START.sub(r"\1\\\2", text)


def markdown_code(text: object, cap: int = 2_000) -> str:
    """An inline code span that no backtick inside ``text`` can close."""
    text = shown(text, cap).replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_block(text: object, info: str = "text", cap: int = 20_000) -> str:
    """A fenced code block holding ``text`` verbatim: the fence is longer than any run of
    backticks inside, so nothing in the text can close it (and nothing in it is rendered)."""
    text = shown(text, cap, lines=True)
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


# -- HTML -----------------------------------------------------------------------------------
def html_text(text: object, cap: int = 20_000) -> str:
    import html

    return html.escape(shown(text, cap, lines=True), quote=True)


def html_href(*segments: str) -> str:
    """A relative link to ``segments`` (e.g. a student's folder, then ``feedback.html``): each
    segment percent-encoded (``:`` and ``/`` included), starting ``./``, so no scheme."""
    return "./" + "/".join(quote(segment, safe="") for segment in segments)


# -- CSV ------------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: a string starting with ``= + - @``, TAB or CR
    (or the quote itself, to stay reversible) gets a leading ``'`` (OWASP).  Numbers pass."""
    if not isinstance(value, str):
        return value
    value = shown(value, 1_000)
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_value(cell: str) -> str:
    """``csv_cell`` undone, for the kit's own readers."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) else cell
