"""Similar code, for review (issue 27): docs/similarity.md's recipe word for word on a class where two
students share an engine with renamed variables, one copies a public engine, one hands in the
instructor's source notebook, three hand in only what the course gave, and the rest wrote their own;
the pairs are found and no other, in the class report as a browser shows it and on the command's page."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from autograder.intake.submission import load_submission
from autograder.similarity import REFERENCE, STUDENT, Document, compare, module_text, public_documents
from micrograd_feedback.untrusted import shown
from tests.docs_blocks import recipe, run_autograder
from tests.test_browser import CHROMIUM, DRIVER, SCREENSHOTS, browser  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "tests" / "submissions" / "engine"
BIN = Path(sys.executable).parent
# Engines of the learner corpus written in different styles, each by its own hand.
INDEPENDENT = {"dia": "alternatives/dataclass_style", "eli": "alternatives/kahn_tuple_prev",
               "fay": "alternatives/own_ops_stable_tanh", "gus": "alternatives/creation_order"}
HOSTILE = "<img src=x onerror=alert(1)>\u202egnp"


def renamed(source: str, names: dict[str, str]) -> str:
    """``source`` with its names replaced and its comments dropped, token by token, as a student hiding
    a copy would do it."""
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            continue
        text = names.get(token.string, token.string) if token.type == tokenize.NAME else token.string
        tokens.append((token.type, text))
    return tokenize.untokenize(tokens)


def engine(name: str) -> str:
    return (ENGINES / f"{name}.py").read_text()


def documents(**sources: str) -> list[Document]:
    return [Document(name, STUDENT, module_text({"engine": code})) for name, code in sources.items()]


def test_a_renamed_copy_is_found_and_the_skeleton_alone_never_is():
    skeleton = (ROOT / "micrograd_skeleton" / "engine.py").read_text()
    typed = engine("learners/typed_correct")
    copy = renamed(typed, {"other": "rhs", "out": "result", "topo": "order", "visited": "seen", "Value": "Scalar"})
    found = compare(documents(ana=typed, ben=copy, dee=skeleton, eve=skeleton,
                              **{n: engine(p) for n, p in INDEPENDENT.items()}), public_documents(None))
    assert [(p.left.name, p.right.name) for p in found.pairs] == [("ana", "ben")]
    assert found.pairs[0].left_share > 0.95 and found.pairs[0].right_share > 0.95
    assert found.compared == 8 and found.public == (REFERENCE,)


def test_the_reference_and_the_skeleton_share_nothing_of_their_own():
    """The skeleton is the reference with its solutions cut out: what is left of it after the boilerplate
    is nothing, so a skeleton handed in matches neither the reference nor another skeleton."""
    skeleton = (ROOT / "micrograd_skeleton" / "engine.py").read_text()
    found = compare(documents(dee=skeleton, eve=skeleton), public_documents(None), threshold=0.01)
    assert found.pairs == ()


def test_comparing_stops_at_its_cpu_budget_and_says_how_many_comparisons_were_left(monkeypatch):
    """The budget counts CPU, not waiting: grade-batch compares at a low priority while its graders run."""
    import autograder.similarity as similarity

    typed = engine("learners/typed_correct")
    class_ = documents(ana=typed, ben=renamed(typed, {"out": "result"}),
                       **{n: engine(p) for n, p in INDEPENDENT.items()})
    with monkeypatch.context() as waiting:  # ten minutes of waiting between two looks at the clock
        waiting.setattr(similarity.time, "monotonic", (600.0 * n for n in range(10**6)).__next__)
        assert compare(class_, public_documents(None)).unfinished == 0
    monkeypatch.setattr(similarity.time, "process_time", (200.0 * n for n in range(10**6)).__next__)
    stopped = compare(class_, public_documents(None))  # 200 s of CPU from one look to the next
    assert stopped.unfinished > 0 and not stopped.pairs


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("similarity")
    submissions, public = root / "submissions", root / "public"
    public.mkdir()
    # The lecture-style engine stands in for karpathy/micrograd's engine.py: the kit does not ship others' code.
    (public / "micrograd_engine.py").write_text(engine("learners/lecture_correct"))
    typed = engine("learners/typed_correct")
    names = {"other": "rhs", "out": "result", "topo": "order", "visited": "seen"}
    for name, code in {"ana": typed, "ben": renamed(typed, names), HOSTILE: typed.replace(
                           '"""A scalar', '"""</pre><script>alert(2)</script>\u202e A scalar'),
                       "cy": renamed(engine("learners/lecture_correct"), {"other": "b", "out": "c", "topo": "t"}),
                       **{n: engine(p) for n, p in INDEPENDENT.items()}}.items():
        (submissions / name).mkdir(parents=True)
        (submissions / name / "engine.py").write_text(code)
    for name in ("dee", "eve"):
        shutil.copytree(ROOT / "examples" / "submissions" / "untouched_skeleton", submissions / name)
    # The instructor's source notebook (its solutions are the reference), and the one nbgrader releases.
    (submissions / "nbref").mkdir()
    shutil.copy(ROOT / "assignments" / "source" / "value_engine" / "value_engine.ipynb", submissions / "nbref")
    nbgrader = root / "nbgrader"
    shutil.copytree(ROOT / "assignments" / "source", nbgrader / "source")
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", nbgrader)
    done = subprocess.run([BIN / "nbgrader", "generate_assignment", "value_engine", "--create"], cwd=nbgrader,
                          capture_output=True, text=True, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    (submissions / "nbblank").mkdir()
    shutil.copy(nbgrader / "release" / "value_engine" / "value_engine.ipynb", submissions / "nbblank")
    assert load_submission(submissions / "nbblank").sources, "the released notebook is read as a submission"
    for command in recipe("similarity.md", "similarity"):
        run_autograder(command, root)
    return root


EXPECTED = {("ana", "ben"), ("ana", HOSTILE), ("ben", HOSTILE), ("cy", "micrograd_engine.py (public source)"),
            ("nbref", REFERENCE)}
SEEN = {frozenset((shown(a), shown(b))) for a, b in EXPECTED}  # a name as the report shows it


@pytest.mark.slow
def test_the_commands_page_lists_exactly_the_copies(course):
    page = (course / "similarity.html").read_text()
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", page.split('id="similarity-table"')[1])
    assert {frozenset((_text(a), _text(b))) for a, b in rows} == SEEN
    assert "<script>alert" not in page and "<img src=x" not in page and "\u202e" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page fetches nothing"


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="no headless browser: install chromium and chromium-driver")
def test_the_class_report_shows_the_pairs_side_by_side(course, browser):  # noqa: F811 - the fixture
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    browser.get((course / "grades" / "class-report.html").as_uri())
    section = browser.find_element(By.ID, "similarity-table")
    rows = [[c.text for c in r.find_elements(By.TAG_NAME, "td")][:2]
            for r in section.find_elements(By.TAG_NAME, "tr")[1:]]
    assert {frozenset(r) for r in rows} == SEEN, rows
    heading = browser.find_element(By.ID, "similarity").text
    assert heading == "Similar code, for review"
    intro = browser.find_element(By.XPATH, "//h2[@id='similarity']/following-sibling::p[1]").text
    assert "a reason to look, not a finding" in intro and "12 submission(s)" in intro
    for alone in ("dee", "eve", "nbblank", *INDEPENDENT):
        assert all(alone not in r for r in rows), f"{alone} wrote their own code or none: in no pair"

    first = next(r for r in section.find_elements(By.TAG_NAME, "tr")[1:] if r.text.startswith("ana ben "))
    first.find_element(By.LINK_TEXT, "side by side").click()
    pair = browser.find_element(By.CSS_SELECTOR, "details.similar[open]")
    marks = pair.find_elements(By.TAG_NAME, "mark")
    assert marks and all(m.is_displayed() for m in marks[:3])
    left, right = pair.find_elements(By.TAG_NAME, "pre")
    assert "other.data" in left.text and re.search(r"\brhs \.data", right.text), "each side shows its own code"
    browser.execute_script("arguments[0].scrollIntoView()", pair)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "class-report-similarity.png"))

    hostile = browser.find_element(By.XPATH, "//details[contains(., 'alert(2)')]")
    browser.execute_script("arguments[0].open = true", hostile)
    assert "</pre><script>alert(2)</script>\\u202e A scalar" in hostile.text, "the code is text, escapes shown"
    assert not browser.find_elements(By.CSS_SELECTOR, "#similarity ~ * img, #similarity-table img")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    hosts = browser.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
    assert all(h.startswith(("file:", "data:")) for h in hosts), hosts


@pytest.mark.slow
def test_another_run_finds_the_same_pairs_in_the_same_places(course):
    """copydetect hashes with Python's per-process salted hash(): a second process must still keep the same
    fingerprints, so the same shares and highlights."""
    run_autograder("python -m autograder similarity submissions --public-code public --output again.html", course)
    assert (course / "again.html").read_text() == (course / "similarity.html").read_text()


@pytest.mark.slow
def test_the_batch_computes_the_section_while_grading_and_gets_the_commands(course):
    """grade-batch computes the section in a child forked before its graders (batch/meanwhile.py); the
    command computes it in its own process: the same section (but that the report links each student's
    name to their feedback)."""
    def section(page: Path) -> str:
        text = page.read_text().split('<h2 id="similarity">', 1)[1].split("<script>", 1)[0]  # code is escaped
        return re.sub(r'<a href="(?!#)[^"]*">(.*?)</a>', r"\1", text)

    assert section(course / "grades" / "class-report.html") == section(course / "similarity.html")


@pytest.mark.slow
def test_no_similarity_leaves_the_section_out(course):
    run_autograder("python -m autograder grade-batch submissions --out grades --no-similarity", course)
    assert 'id="similarity"' not in (course / "grades" / "class-report.html").read_text()


def _text(cell: str) -> str:
    """A table cell's HTML as the reader sees it (tags dropped, entities decoded)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", cell))
