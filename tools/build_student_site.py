"""Build the student site: the public checks in a static page, run by Python in the browser.

    python tools/build_student_site.py [--out build/student-site]

The site is a folder of static files (any static host, or ``python -m http.server``
in it) that loads nothing from anywhere else:

- ``index.html``, ``app.js``, ``style.css``, ``worker.js`` from ``site/``; ``editor.js``,
  CodeMirror 6 with Python highlighting, bundled by esbuild from ``site/src/``;
- ``pyodide/``: the core of the npm package ``pyodide`` (no package of its is loaded);
- ``kit.zip``: ``micrograd_feedback`` and ``micrograd_skeleton``, the same sources the student
  wheel carries, so the site's checks and the wheel's cannot drift;
- ``notebooks/<assignment>.ipynb``: each released notebook with its answer cells empty (for the
  "download the notebook" button) and the engine the second assignment provides left out;
- ``manifest.json``: the parts, the skeleton's files, the notebooks, the kit's version.

The front-end packages are pinned in ``site/package.json`` and ``site/package-lock.json`` and
installed by ``npm ci`` into ``site/node_modules/``.  The finished site is scanned like the wheel
(``build_student_wheel.leaks``): no solution region, no reference derivative, no training loop.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_student_wheel import PACKAGES, kit_version, leaks

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
PAGES = ("index.html", "app.js", "style.css", "worker.js")
DEADLINE_SECONDS = 10  # a part's checks that run longer are stopped: the worker is ended and started again
MARKER = ".browser-site"  # micrograd_feedback.browser writes only into a package that holds it


def npm_ci() -> None:
    """The pinned front-end packages in site/node_modules (again only when the lock file changed)."""
    stamp = SITE / "node_modules" / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= (SITE / "package-lock.json").stat().st_mtime:
        return
    if shutil.which("npm") is None:
        raise SystemExit("the student site needs Node.js and npm (Debian: apt install nodejs npm)")
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SITE,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"npm ci failed in site/:\n{done.stdout}{done.stderr}")


def bundle_editor(out: Path) -> None:
    done = subprocess.run([str(SITE / "node_modules" / ".bin" / "esbuild"), "src/editor.js", "--bundle", "--minify",
                           "--format=iife", "--global-name=MicrogradEditor", f"--outfile={out / 'editor.js'}",
                           "--log-level=error"], cwd=SITE, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bundling the editor failed:\n{done.stdout}{done.stderr}")


def kit_zip() -> bytes:
    """The student wheel's two packages, the skeleton marked as the site's own copy."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in PACKAGES:
            for path in sorted((ROOT / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    archive.write(path, path.relative_to(ROOT).as_posix())
        archive.writestr(f"micrograd_skeleton/{MARKER}", "")
    return buffer.getvalue()


def defined_names(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


def notebook_template(path: Path) -> tuple[dict, list[str]]:
    """The released notebook for the site: hidden tests and outputs cleared (nbgrader's own
    preprocessors), each answer cell emptied and tagged with the names it defines, a provided
    engine emptied; and the modules its answer cells hold."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput

    nb = nbformat.read(path, as_version=4)
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    nb, _ = ClearOutput().preprocess(nb, {})
    modules: list[str] = []
    for cell in nb.cells:
        meta = cell.metadata.get("micrograd", {})
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            meta["defines"] = defined_names(cell.source)
            cell.source = ""
            if meta["module"] not in modules:
                modules.append(meta["module"])
        elif "provided" in meta:
            cell.source = ""
    return dict(nb), modules


def build(out: Path) -> Path:
    out = out.resolve()  # esbuild runs in site/: a relative --outfile would land there
    npm_ci()
    if out.exists():
        shutil.rmtree(out)
    (out / "pyodide").mkdir(parents=True)
    (out / "notebooks").mkdir()
    for page in PAGES:
        shutil.copy(SITE / page, out / page)
    bundle_editor(out)
    pyodide = SITE / "node_modules" / "pyodide"
    for name in PYODIDE_FILES:
        shutil.copy(pyodide / name, out / "pyodide" / name)
    (out / "kit.zip").write_bytes(kit_zip())

    sys.path.insert(0, str(ROOT))
    from micrograd_feedback.modules import MODULES, PARTS
    from micrograd_feedback.selfcheck import heading

    notebooks = []
    for source in sorted((ROOT / "assignments" / "source").glob("*/*.ipynb")):
        template, modules = notebook_template(source)
        if modules:
            (out / "notebooks" / source.name).write_text(json.dumps(template, indent=1) + "\n")
            notebooks.append({"name": source.stem, "template": f"notebooks/{source.name}", "modules": modules})
    manifest = {
        "version": kit_version(),
        "pyodide": json.loads((pyodide / "package.json").read_text())["version"],
        "deadline_seconds": DEADLINE_SECONDS,
        "parts": [{"id": p.id, "title": p.title, "module": p.module, "heading": heading(p.id)} for p in PARTS.values()],
        "files": {f"{m}.py": (ROOT / "micrograd_skeleton" / f"{m}.py").read_text() for m in MODULES},
        "notebooks": notebooks,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return out


def texts(site: Path) -> dict[str, str]:
    """Every text the site serves, kit.zip's members included: what the leak scan reads."""
    found = {}
    for path in sorted(site.rglob("*")):
        if path.name == "kit.zip":
            with zipfile.ZipFile(path) as archive:
                found.update({f"kit.zip:{n}": archive.read(n).decode("utf-8", "replace") for n in archive.namelist()})
        elif path.is_file() and path.parent.name != "pyodide" and path.suffix in (".html", ".js", ".json", ".ipynb",
                                                                                  ".css", ".py"):
            found[path.relative_to(site).as_posix()] = path.read_text(errors="replace")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student-site", help="the site's folder")
    args = parser.parse_args(argv)
    site = build(args.out)
    problems = leaks(texts(site))
    if problems:
        shutil.rmtree(site)
        print("the student site is not safe to publish:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"{site}/index.html: serve the folder, e.g. python3 -m http.server 8000 --bind 127.0.0.1 --directory "
          f"{site}, then open http://127.0.0.1:8000/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
