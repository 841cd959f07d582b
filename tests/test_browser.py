"""What a student sees, in a real browser: JupyterLab (student mode) on the release with a buggy
``Value``; Run All reaches every check cell, and the relu check cell and nbgrader's Validate dialog
show the fix without scrolling (issues 11 and 23).

Debian's ``chromium`` and ``chromium-driver`` (installed by ``tools/setup.sh`` where apt is
available) drive JupyterLab headless through selenium; without them the test is skipped, saying why.
Screenshots land in ``build/screenshots/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
RELU_BUG = ("            self.grad += (out.data > 0) * out.grad\n\n        out._backward = _backward",
            "            self.grad += (out.data > 0) * out.grad\n\n        out.backward = _backward")

needs_browser = pytest.mark.skipif(
    not (CHROMIUM and DRIVER and shutil.which("jupyter-lab", path=str(BIN))),
    reason="no headless browser here: install Debian's chromium and chromium-driver (tools/setup.sh does, as root)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab in student mode on a copy of the release whose Value has the relu bug."""
    tmp = tmp_path_factory.mktemp("browser")
    course = tmp / "course"
    course.mkdir()
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run([BIN / "nbgrader", "generate_assignment", "value_engine", "--create"], cwd=course, env=env,
                   check=True, capture_output=True, timeout=300)
    workspace = tmp / "workspace"
    shutil.copytree(course / "release", workspace)
    source = nbformat.read(course / "source" / "value_engine" / "value_engine.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    path = workspace / "value_engine" / "value_engine.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id].replace(*RELU_BUG)
    nbformat.write(nb, path)
    port = free_port()
    settings = tmp / "settings"  # every cell rendered (no virtual scrolling), no news pop-up
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"}))
    config = tmp / "jupyter-config"  # a copy: JupyterLab writes its workspaces into its config folder
    shutil.copytree(ROOT / "deploy" / "student" / "jupyter", config)
    lab_env = dict(env, JUPYTER_CONFIG_DIR=str(config), HOME=str(tmp),
                   JUPYTERLAB_SETTINGS_DIR=str(settings))
    process = subprocess.Popen(
        [BIN / "jupyter-lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", "--LabApp.expose_app_in_browser=True",
         f"--ServerApp.root_dir={workspace}", "--allow-root"],
        env=lab_env, stdout=subprocess.DEVNULL, stderr=open(tmp / "lab.log", "w"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    yield {"url": f"http://127.0.0.1:{port}", "log": tmp / "lab.log"}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def wait_for(driver, condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / "timeout.png"))
    raise AssertionError(f"timed out waiting for {what}")


FIX = "you assigned"  # the relu bug's fix: "... you assigned `out.backward = ...` instead of `out._backward = ...`"

# Is the first text node holding `needle` inside `box` wholly visible: inside the window and inside the
# box's visible area (no scrolling needed)?
VISIBLE = """
const [box, needle] = arguments;
const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
let node; while ((node = walker.nextNode()) && !node.textContent.includes(needle)) {}
if (!node) return null;
const range = document.createRange(); range.selectNodeContents(node);
const at = range.getBoundingClientRect(), frame = box.getBoundingClientRect();
return at.top >= Math.max(0, frame.top) && at.bottom <= Math.min(window.innerHeight, frame.bottom)
    && at.right <= window.innerWidth;
"""


@needs_browser
def test_a_student_sees_the_fix_first_in_the_check_cell_and_in_validate(lab, browser):
    browser.get(f"{lab['url']}/lab/tree/value_engine/value_engine.ipynb")
    wait_for(browser, lambda: browser.execute_script(
        "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        "const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
        "return kernel && kernel.status === 'idle';"), 90, "the notebook and its kernel")
    # student mode: nbgrader's instructor tools are not there, its Validate button is
    plugins = browser.execute_script(
        "const app = window.jupyterapp; return ['formgrader', 'create-assignment', 'validate-assignment']"
        ".map(p => app.isPluginActivated ? app.isPluginActivated('@jupyter/nbgrader:' + p) : null);")
    assert plugins == [False, False, True], plugins
    # Run All goes past the failing relu demonstration and checks (raises-exception) to the last check cell
    browser.execute_script("return window.jupyterapp.commands.execute('notebook:run-all-cells')")
    unrun_checks = (
        "const cells = [...document.querySelectorAll('.jp-CodeCell')].filter(c => c.innerText.includes('check(\"'));"
        "return cells.filter(c => !/\\[\\d+\\]/.test(c.querySelector('.jp-InputPrompt').innerText)).length;")
    wait_for(browser, lambda: browser.execute_script(
        "const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;"
        "return k.status === 'idle';") and browser.execute_script(unrun_checks) == 0, 300, "every check cell to run")
    relu_output = ("const cells = [...document.querySelectorAll('.jp-CodeCell')];"
                   "const cell = cells.find(c => c.innerText.includes('check(\"relu\")'));"
                   "cell.scrollIntoView({block: 'start'}); return cell.querySelector('.jp-OutputArea');")
    output = browser.execute_script(relu_output)
    time.sleep(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "relu_check.png"))
    text = output.text
    (SCREENSHOTS / "relu_check.txt").write_text(text)
    assert text.startswith("ReLU (relu): 5 of 5 public checks fail."), text
    assert "Traceback" not in text and "micrograd_feedback" not in text and "Cell In[" in text, text
    assert browser.execute_script(VISIBLE, output, FIX), "the fix is not visible without scrolling"
    # Validate: the dialog lists the failed check cells, each report with its fix first
    browser.execute_script("return window.jupyterapp.commands.execute('docmanager:save')")
    browser.find_element("css selector", ".validate-button").click()
    dialog = wait_for(browser, lambda: browser.execute_script(
        "const d = document.querySelector('.nbgrader-ErrorDialog, .nbgrader-SuccessDialog');"
        "return d && d.querySelector('#validation-message') ? d : null;"), 300, "the Validate dialog")
    time.sleep(1)
    browser.save_screenshot(str(SCREENSHOTS / "validate_dialog.png"))
    message = dialog.find_element("css selector", "#validation-message")
    (SCREENSHOTS / "validate_dialog.txt").write_text(message.text)
    assert "The following cell failed" in message.text and FIX in message.text, message.text
    body = dialog.find_element("css selector", ".jp-Dialog-body")  # the part of the dialog that scrolls
    assert browser.execute_script(VISIBLE, body, FIX), "the fix is below the fold in the Validate dialog"
    (SCREENSHOTS / "plugins.json").write_text(json.dumps(plugins))


def a_class_with_problems(root: Path) -> None:
    """Correct, the relu bug, an untouched skeleton (0), a syntax error, a torch import, a missing file."""
    from tests.test_batch import RELU_BUG as RELU_IN_REFERENCE
    from tests.test_batch import SKELETON, submission

    submission(root / "ada")
    submission(root / "bo", change=RELU_IN_REFERENCE)
    submission(root / "cy", SKELETON)
    (submission(root / "di") / "nn.py").write_text("def Neuron(:\n")
    torch = submission(root / "ed") / "train.py"
    torch.write_text(torch.read_text().replace("from .engine import Value\n", "from .engine import Value\nimport torch\n", 1))
    (submission(root / "flo") / "train.py").unlink()


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="no headless browser: install chromium and chromium-driver")
def test_the_class_report_shows_the_histogram_and_who_needs_attention(tmp_path, browser):
    a_class_with_problems(tmp_path / "submissions")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(tmp_path / "submissions"),
                           "--out", str(out), "--jobs", "2"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = out / "class-report.html"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", report.read_text()), "nothing is fetched"
    browser.get(report.as_uri())
    bars = browser.execute_script(
        "return document.querySelector('#histogram + svg').querySelectorAll('path, rect, use').length")
    assert bars > 10, "the histogram is drawn"
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#needs-attention + table tr')].slice(1)"
        ".map(r => [...r.cells].map(c => c.innerText))")
    why = {name: reason for name, _, reason in rows}
    assert set(why) == {"cy", "di", "ed", "flo"}, rows
    assert "score 0" in why["cy"] and "syntax error in nn.py" in why["di"]
    assert "autodiff library" in why["ed"] and "missing train.py" in why["flo"]
    link = browser.execute_script("return document.querySelector('#needs-attention + table a').getAttribute('href')")
    assert (out / link).is_file(), "each name links to that student's feedback"
    assert "backward-not-underscore" in browser.find_element("id", "bugs").find_element(
        "xpath", "following-sibling::table").text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1400, 2600)
    browser.save_screenshot(str(SCREENSHOTS / "class_report.png"))
