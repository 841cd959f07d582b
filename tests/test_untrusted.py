"""The one sanitiser and the per-format escapers (micrograd_feedback/untrusted.py), and what the trusted
side makes of an answer the student's code forged."""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from autograder.sandbox.launcher import Worker, WorkerError
from micrograd_feedback.untrusted import (
    csv_cell,
    csv_value,
    html_href,
    markdown_block,
    markdown_code,
    markdown_text,
    shown,
)
from tests.hostile.names import NAMES, Page, forbidden_in


@given(st.text())
def test_shown_leaves_nothing_invisible_and_is_idempotent(text):
    once = shown(text, 10_000)
    assert not forbidden_in(once)
    assert once.isprintable()
    assert shown(once, 10_000) == once


def test_shown_names_what_it_escaped():
    assert shown("a\x1b[2Jb\u202ec\nd\t") == "a\\x1b[2Jb\\u202ec\\nd\\t"
    assert shown("line one\nline two", lines=True) == "line one\nline two"
    assert shown("x" * 500, 100).endswith(" ... (cut)") and len(shown("x" * 500, 100)) == 100


@given(st.text())
def test_markdown_text_renders_as_one_paragraph_of_the_same_text(text):
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown_text(text))
    page = Page(rendered)
    assert [tag for tag, _ in page.tags] in ([], ["p"])
    assert page.visible.strip() == " ".join(shown(text, 2_000).replace("\n", " ").split()).strip() or not text.strip()


@given(st.text())
def test_markdown_code_and_block_cannot_be_closed_from_inside(text):
    md = MarkdownIt("commonmark", {"html": True})
    assert [t.type for t in md.parse(markdown_code(text)) if t.type != "paragraph_open" and
            t.type != "paragraph_close"] == ["inline"]
    tokens = md.parse(markdown_block(text) + "\n\n# after")
    assert tokens[0].type == "fence" and tokens[0].content == shown(text, 20_000, lines=True) + "\n"


@given(st.text())
def test_csv_cells_never_start_a_formula_and_read_back(text):
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(text), 1.5])
    cell, number = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert csv_value(cell) == shown(text, 1_000) and number == "1.5"


def test_links_are_relative_paths_never_a_scheme():
    assert html_href(NAMES["javascript"], "feedback.html") == "./javascript%3Aalert%28document.domain%29/feedback.html"
    assert html_href("../../etc", "x").startswith("./..%2F..%2Fetc/")


class NoSandbox:
    """The launcher's framing alone: no process to start or kill."""

    deadline = None

    def kill(self, process) -> None:
        pass


@pytest.mark.parametrize("payload", [
    b"[" * 400_000 + b"]" * 400_000,  # well framed, nested past the parser's recursion limit
    b"{not json",
    json.dumps([1, 2]).encode(),  # JSON, not an answer
    json.dumps({"ok": True, "observation": "forged"}).encode(),
])
def test_a_malformed_answer_is_the_submissions_error_not_the_graders(payload):
    worker = Worker(NoSandbox(), {})  # type: ignore[arg-type]
    requests_read, worker._requests = os.pipe()
    worker._answers, answers_write = os.pipe()
    worker.process = object()  # type: ignore[assignment]
    framed = struct.pack(">I", len(payload)) + payload
    writer = threading.Thread(target=_write_all, args=(answers_write, framed))
    writer.start()
    with pytest.raises(WorkerError) as raised:
        worker.call("op", expr="a + b")
    writer.join()
    assert raised.value.status == "crashed"
    assert raised.value.error["type"] == "MalformedAnswer"
    assert "your code" in raised.value.error["message"]
    for fd in (requests_read, answers_write):
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]
