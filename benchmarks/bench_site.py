"""Speed of the student site (docs/students.md): build, first load, and each part's public checks.

    python benchmarks/bench_site.py [--loads 3]

Builds the site into a temporary folder, serves it on 127.0.0.1 and opens it ``--loads`` times in
headless Chromium, each time with a fresh browser (a student's first visit: nothing cached).  With the
reference's engine.py, nn.py and train.py in the page's storage, it checks every part once per load.
Reports, as a Markdown table, the build's wall time, "Python is ready" (worker start, Pyodide and the
kit loaded, as the page itself measures it) and per part the time inside Python and from click to
report.  Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))


def reference_files() -> dict[str, str]:
    from tests.test_student_site import ENGINE, NN, TRAIN

    return {"engine.py": ENGINE, "nn.py": NN, "train.py": TRAIN}


def one_load(url: str) -> dict:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.test_browser import CHROMIUM, DRIVER, wait_for

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.get(url)
        for name, text in reference_files().items():
            driver.execute_script("localStorage.setItem('micrograd-site:file:' + arguments[0], arguments[1])",
                                  name, text)
        driver.refresh()
        wait_for(driver, lambda: driver.execute_script("return micrograd.timings.load") is not None, 120,
                 "Python in the page")
        parts = driver.execute_script("return micrograd.manifest.parts.map(p => [p.id, p.module])")
        for part, module in parts:
            driver.find_element("xpath", f"//nav[@id='tabs']/button[text()='{module}.py']").click()
            before = len(driver.execute_script("return micrograd.timings.checks"))
            driver.find_element("css selector", f"#part-{part} button").click()
            wait_for(driver, lambda before=before: len(driver.execute_script("return micrograd.timings.checks"))
                     > before, 120, f"{part} checked")
        return driver.execute_script("return micrograd.timings")
    finally:
        driver.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()

    import build_student_site

    from tests.test_browser import free_port

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        started = time.perf_counter()
        build_student_site.build(out)
        built = time.perf_counter() - started
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            loads = [one_load(f"http://127.0.0.1:{port}/") for _ in range(args.loads)]
        finally:
            server.terminate()
            server.wait(timeout=10)

    print(f"| measure (ms, median of {args.loads} fresh browsers; max) | in Python | click to report |")
    print("|---|---|---|")
    print(f"| build the site (once) | | {built * 1000:.0f} |")
    ready = [t["load"] for t in loads]
    print(f"| Python is ready (first load) | | {statistics.median(ready):.0f} ({max(ready):.0f}) |")
    parts = [c["part"] for c in loads[0]["checks"]]
    for index, part in enumerate(parts):
        inside = [t["checks"][index]["ms"] for t in loads]
        total = [t["checks"][index]["total_ms"] for t in loads]
        print(f"| check {part} | {statistics.median(inside):.0f} ({max(inside):.0f}) | "
              f"{statistics.median(total):.0f} ({max(total):.0f}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
