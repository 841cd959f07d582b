"""The student site (issue 28), in a real browser with no network: the public checks run by Python in
the page, the fix first, a deadline for code that never ends, work kept across reloads, and the
downloaded files graded by the course's grader to what the page predicted.

The site is built and served by docs/students.md's recipe, word for word (``make student-site``, then
``python3 -m http.server`` on 127.0.0.1).  Chromium's proxy is a recorder that refuses
everything: a request to any other host reaches it (and fails), so the test knows none was made.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.docs_blocks import kit_env, recipe
from tests.test_browser import CHROMIUM, DRIVER, ROOT, SCREENSHOTS, free_port, wait_for

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="no headless browser: install chromium and "
                                 "chromium-driver (tools/setup.sh does, as root)")]
sys.path.insert(0, str(ROOT / "tools"))

ENGINE = "\n".join(line for line in (ROOT / "solutions" / "engine.py").read_text().splitlines()
                   if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line) + "\n"
NN = (ROOT / "solutions" / "nn.py").read_text()
TRAIN = (ROOT / "solutions" / "train.py").read_text()


def with_relu_bug(engine: str) -> str:
    """The classic: ``out.backward = ...`` in relu (the last operation before ``backward``)."""
    start = engine.index("    def relu(")
    end = engine.index("    def backward(")
    body = engine[start:end]
    assert "out._backward = _backward" in body
    return engine[:start] + body.replace("out._backward = _backward", "out.backward = _backward") + engine[end:]


def with_hinge_sum(train: str) -> str:
    """hinge_loss sums the margins instead of taking their mean."""
    start, end = train.index("def hinge_loss("), train.index("def l2_regularization(")
    body = train[start:end]
    assert "return sum(margins) / len(margins)" in body
    return train[:start] + body.replace("sum(margins) / len(margins)", "sum(margins)") + train[end:]


def with_hungry_relu(engine: str) -> str:
    """relu keeps every block it allocates: the page's Python runs out of memory."""
    start = engine.index("    def relu(")
    header_end = engine.index("\n", engine.index('"""', engine.index('"""', start) + 3)) + 1
    hog = "        kept = []\n        while True:\n            kept.append(bytearray(16 * 2**20))\n"
    return engine[:header_end] + hog + engine[header_end:]


def with_endless_tanh(engine: str) -> str:
    start = engine.index("    def tanh(")
    header_end = engine.index("\n", engine.index('"""', engine.index('"""', start) + 3)) + 1
    return engine[:header_end] + "        while True:\n            pass\n" + engine[header_end:]


# Chromium's own background services (updates, sign-in, hints, time) ask these even with
# --disable-background-networking; they are the browser's, not the page's, and are refused all the same.
CHROMIUM_SERVICES = {"update.googleapis.com", "clients2.google.com", "accounts.google.com",
                     "optimizationguide-pa.googleapis.com", "clientservices.googleapis.com",
                     "safebrowsing.googleapis.com", "content-autofill.googleapis.com"}


def host(request: str) -> str:
    """``CONNECT a.b:443`` or ``GET http://a.b/...`` -> ``a.b``."""
    target = request.split(" ", 1)[1]
    return re.sub(r"^\w+://", "", target).split("/", 1)[0].rsplit(":", 1)[0]


class Recorder(BaseHTTPRequestHandler):
    """Chromium's proxy: notes every request for another host and refuses it."""

    seen: list[str] = []

    def refuse(self) -> None:
        Recorder.seen.append(f"{self.command} {self.path}")
        self.send_error(403, "no network in this test")

    do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = refuse  # noqa: N815 - http.server's names

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site():
    """docs/students.md's recipe, word for word (only the port changes, if 8000 is taken here)."""
    build, serve = recipe("students.md", "student-site")
    assert build == "make student-site" and serve.startswith("python3 -m http.server 8000 "), (build, serve)
    env = kit_env()
    done = subprocess.run(shlex.split(build), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    port = 8000
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            port = free_port()
    server = subprocess.Popen(shlex.split(serve.replace(" 8000 ", f" {port} ")), cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    time.sleep(0.5)
    yield {"url": f"http://127.0.0.1:{port}/", "dir": ROOT / "build" / "student-site",
           "proxy": proxy.server_address[1]}
    proxy.shutdown()
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def page(site, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,1000", f"--proxy-server=http://127.0.0.1:{site['proxy']}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


PASTE = """
const [text] = arguments;
const editor = document.querySelector('#editor .cm-content');
editor.focus();
document.execCommand('selectAll');
const data = new DataTransfer();
data.setData('text/plain', text);
editor.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
"""


def paste(driver, file: str, text: str) -> None:
    """Select the file's tab, select all in the editor and paste ``text``, as a student would."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//nav[@id='tabs']/button[text()='{file}']").click()
    driver.execute_script(PASTE, text)
    wait_for(driver, lambda: driver.execute_script("return micrograd.files[arguments[0]]", file) == text, 10,
             f"{file} pasted")


def verdict(driver, part: str) -> str:
    return driver.execute_script(
        "const v = document.querySelector(`#part-${arguments[0]} .verdict`); return v ? v.textContent : '';", part)


def check(driver, part: str, seconds: float = 60) -> tuple[str, str]:
    """Click the part's Check button; its verdict and report once it is done."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f"#part-{part} button").click()
    wait_for(driver, lambda: verdict(driver, part) not in ("", "checking…"), seconds, f"{part}'s checks")
    return verdict(driver, part), driver.find_element(By.CSS_SELECTOR, f"#part-{part} .report").text


def ready(driver, site) -> None:
    driver.get(site["url"])
    wait_for(driver, lambda: "Python is ready" in driver.find_element("id", "status").text, 60, "Python in the page")


def test_a_student_checks_fixes_and_hands_in_from_the_browser_alone(site, page, tmp_path):
    from selenium.webdriver.common.by import By

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ready(page, site)
    assert page.find_element(By.CSS_SELECTOR, "#tabs button[aria-selected='true']").text == "engine.py"

    # The relu bug: the page names it and its fix first, as the notebooks do
    paste(page, "engine.py", with_relu_bug(ENGINE))
    seen, report = check(page, "relu")
    assert seen.startswith("✗") and "of 5 fail" in seen, seen
    first = report.splitlines()
    assert first[0].startswith("ReLU (relu):") and "public checks fail" in first[0]
    assert "you assigned" in "\n".join(first[1:3]) and "`out._backward = ...`" in report, report
    assert "Traceback" not in report and "micrograd_feedback" not in report
    page.execute_script("document.querySelector('#part-relu').scrollIntoView()")
    page.save_screenshot(str(SCREENSHOTS / "student-site-relu.png"))

    # A correct engine: every engine part passes
    paste(page, "engine.py", ENGINE)
    page.find_element(By.ID, "check-file").click()
    engine_parts = [p["id"] for p in page.execute_script("return micrograd.manifest.parts") if p["module"] == "engine"]
    wait_for(page, lambda: all(verdict(page, p).startswith(("✓", "✗")) for p in engine_parts), 120,
             "every engine part checked")
    verdicts = {p: verdict(page, p) for p in engine_parts}
    assert all(v.startswith("✓ all") for v in verdicts.values()), verdicts
    page.save_screenshot(str(SCREENSHOTS / "student-site-all-pass.png"))

    # tanh never ends: the page stays responsive, the report says tanh was stopped, Python comes back
    paste(page, "engine.py", with_endless_tanh(ENGINE))
    page.find_element(By.CSS_SELECTOR, "#part-tanh button").click()
    time.sleep(1)
    started = time.monotonic()
    page.find_element(By.XPATH, "//nav[@id='tabs']/button[text()='nn.py']").click()  # the page still answers
    assert page.execute_script("return micrograd.current") == "nn.py"
    assert time.monotonic() - started < 5
    page.find_element(By.XPATH, "//nav[@id='tabs']/button[text()='engine.py']").click()
    wait_for(page, lambda: verdict(page, "tanh").startswith("stopped"), 60, "tanh stopped at its deadline")
    report = page.find_element(By.CSS_SELECTOR, "#part-tanh .report").text
    assert report.startswith("tanh: stopped after 10 s: your code did not finish"), report
    page.save_screenshot(str(SCREENSHOTS / "student-site-timeout.png"))
    seen, _ = check(page, "relu")  # a new Python, the same code
    assert seen.startswith("✓ all"), seen

    # relu eats memory: the page stays, the part says what happened (Pyodide's heap grows for longer than
    # the deadline, so it is usually stopped before a MemoryError), the next check runs
    paste(page, "engine.py", with_hungry_relu(ENGINE))
    seen, report = check(page, "relu")
    assert seen.startswith(("stopped", "✗")), seen
    assert "MemoryError" in report or "keeps growing" in report, report
    page.execute_script("document.querySelector('#part-relu').scrollIntoView()")
    page.save_screenshot(str(SCREENSHOTS / "student-site-memory.png"))
    seen, _ = check(page, "add")
    assert seen.startswith("✓ all"), seen

    # Hand-in: the engine right again, nn.py written, hinge_loss not a mean; every part checked in the page
    paste(page, "engine.py", ENGINE)
    paste(page, "nn.py", NN)
    paste(page, "train.py", with_hinge_sum(TRAIN))
    predicted = {}
    for file in ("engine.py", "nn.py", "train.py"):
        page.find_element(By.XPATH, f"//nav[@id='tabs']/button[text()='{file}']").click()
        page.find_element(By.ID, "check-file").click()
        parts = [p["id"] for p in page.execute_script("return micrograd.manifest.parts")
                 if f"{p['module']}.py" == file]
        wait_for(page, lambda parts=parts: all(verdict(page, p).startswith(("✓", "✗")) for p in parts), 180,
                 f"every part of {file} checked")
        predicted.update({p: verdict(page, p).startswith("✓") for p in parts})
    assert [part for part, passed in predicted.items() if not passed] == ["loss"], predicted

    # Reload: the code is back
    page.refresh()
    ready(page, site)
    assert page.execute_script("return micrograd.editor.text") == ENGINE
    assert page.execute_script("return micrograd.files['train.py']") == with_hinge_sum(TRAIN)

    # Download the files and the notebooks; the course's grader agrees with the page, part by part
    for name in ("engine.py", "nn.py", "train.py", "value_engine.ipynb", "neural_net.ipynb"):
        page.find_element(By.XPATH, f"//button[text()='Download {name}']").click()
        wait_for(page, lambda name=name: (page.downloads / name).exists(), 30, f"{name} downloaded")
    handed = tmp_path / "files"
    handed.mkdir()
    for name in ("engine.py", "nn.py", "train.py"):
        assert (page.downloads / name).read_text() == page.execute_script("return micrograd.files[arguments[0]]",
                                                                          name)
        (handed / name).write_text((page.downloads / name).read_text())
    graded = grade(handed)
    assert {p: graded[p][0] == graded[p][1] for p in predicted} == predicted, graded

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("value_engine.ipynb", "neural_net.ipynb"):
        (notebooks / name).write_text((page.downloads / name).read_text())
    by_notebook = grade(notebooks)
    assert {p: s[0] == s[1] for p, s in by_notebook.items()} == predicted, by_notebook

    asked = [r for r in Recorder.seen if host(r) not in CHROMIUM_SERVICES]
    assert asked == [], f"the page asked other hosts: {asked}"


def grade(folder: Path) -> dict[str, tuple[float, float]]:
    """part -> (score, max) from ``python -m autograder grade --format json``."""
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    return {part: (p["score"], p["max_score"]) for part, p in json.loads(done.stdout)["parts"].items()}


def test_the_site_holds_no_answer_and_the_wheels_checks(site):
    """The same scan as the wheel's, and the same check sources: built from the same files."""
    import zipfile

    import build_student_site
    from build_student_wheel import leaks

    assert leaks(build_student_site.texts(site["dir"])) == []
    with zipfile.ZipFile(site["dir"] / "kit.zip") as archive:
        for name in archive.namelist():
            if name.endswith(".py"):
                assert archive.read(name) == (ROOT / name).read_bytes(), name
        assert not any(re.match(r"(solutions|autograder)/", n) for n in archive.namelist())
    manifest = json.loads((site["dir"] / "manifest.json").read_text())
    assert manifest["files"]["engine.py"] == (ROOT / "micrograd_skeleton" / "engine.py").read_text()
