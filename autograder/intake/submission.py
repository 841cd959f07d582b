"""A submission goes in: find its three modules, read them, check them statically.

Nothing here runs student code.  The folder is read through ``files`` (no
link followed, regular files only, bounded sizes), sources are decoded
exactly as Python would decode them, compiled only to find errors, and
scanned for imports of automatic-differentiation libraries.  Whatever the
layout (a student repository with ``micrograd_skeleton/``, a bare folder with
engine.py/nn.py/train.py, or notebooks), the result is the same: module name
-> source text, and what could not be read, with the reason.
"""

from __future__ import annotations

import ast
import codecs
import functools
import hashlib
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from micrograd_feedback.untrusted import shown as inert

from ..rubric import MODULES
from . import files
from .files import RefusedFile

AUTODIFF_LIBRARIES = frozenset({"torch", "jax", "jaxlib", "tensorflow", "autograd", "mxnet", "paddle"})
# The kit's own code: its reference, its grader, the checks' graph walk (importable beside the
# student's code in the sandbox, or from the student wheel).  Using it is not writing the code.
KIT_MODULES = frozenset({"solutions", "autograder", "micrograd_feedback", "_reference", "probes", "worker", "course"})
KIT_NAMED = frozenset({"autograder", "micrograd_feedback", "_reference"})  # distinctive enough to catch in strings
MAX_SOURCE_BYTES = 1 << 20
MAX_NOTEBOOK_BYTES = 32 << 20  # a notebook with plots in its outputs is a few MB
MAX_NOTEBOOKS = 20
MAX_PROBLEM_CHARS = 1_500
PACKAGE = "micrograd_skeleton"
FILES_NOTE = "files"  # the key of ``problems`` that lists what was not read
NOTEBOOK_NOTE = "notebook"  # the key of ``problems`` that says what changed in the course's cells
# What kind of problem stopped a module being graded (the class report groups by these).
PROBLEM_KINDS = ("missing", "refused", "undecodable", "syntax", "kit-import", "autodiff-import", "files-not-read",
                 "notebook-changed")


class UnusableSubmission(Exception):
    """PATH does not exist or holds nothing that looks like a submission."""


class UndecodableSource(Exception):
    """Python would not read this module's bytes as source (the message says why)."""


@dataclass
class Submission:
    """The student's three modules as text, and what is wrong with them statically."""

    origin: Path
    sources: dict[str, str] = field(default_factory=dict)  # module -> source (present ones)
    problems: dict[str, str] = field(default_factory=dict)  # module (or FILES_NOTE) -> why
    kinds: dict[str, str] = field(default_factory=dict)  # module (or FILES_NOTE) -> one of PROBLEM_KINDS
    autodiff: dict[str, list[str]] = field(default_factory=dict)  # module -> forbidden imports
    imports: set[str] = field(default_factory=set)  # modules the sources import (dotted names)
    # A notebook submission: each module's line -> where the student wrote it ("value_engine.ipynb,
    # Cell In[5], line 3"; None for the lines the grader adds), and the assignment its check cells are.
    places: dict[str, list[str | None]] = field(default_factory=dict)
    assignment: str | None = None

    @property
    def digest(self) -> str:
        """A fingerprint of the content, so grading the same code gives the same inputs."""
        h = hashlib.sha256()
        for name in MODULES:
            h.update(name.encode() + b"\0" + self.sources.get(name, "").encode() + b"\0")
        return h.hexdigest()

    def usable(self, module: str) -> bool:
        return module in self.sources and module not in self.problems

    def place(self, file: str, line: int) -> str:
        """Where ``file``'s ``line`` is, in the student's terms: the notebook cell for a notebook submission."""
        lines = self.places.get(file.removesuffix(".py"))
        found = lines[line - 1] if lines and 0 < line <= len(lines) else None
        return found or f"{file}, line {line}"


def load_submission(path: Path) -> Submission:
    """Read the submission at ``path`` (a folder, a module file, or a notebook)."""
    path = Path(path)
    if not path.exists():
        raise UnusableSubmission(f"{inert(path)} does not exist")
    raw, refused, notebook = _gather(path)
    submission = Submission(origin=path)
    if notebook is not None:
        submission.places, submission.assignment = notebook.places, notebook.assignment
    for name in MODULES:
        if name not in raw:
            submission.problems[name] = refused.get(name) or _missing(name, notebook is not None)
            submission.kinds[name] = "refused" if name in refused else "missing"
            continue
        data = raw[name]
        try:
            text = decode_source(name, data) if isinstance(data, bytes) else data
        except UndecodableSource as error:
            submission.problems[name] = str(error)
            submission.kinds[name] = "undecodable"
            continue
        submission.sources[name] = text
        tree = _parsed(name, text, submission.place)
        if isinstance(tree, str):
            submission.problems[name] = tree
            submission.kinds[name] = "syntax"
            continue
        modules, named = imports_and_names(tree)
        submission.imports |= modules
        imported = {m.split(".")[0] for m in modules}
        forbidden = sorted((imported | named) & AUTODIFF_LIBRARIES)
        kit = sorted((imported & KIT_MODULES) | (named & KIT_NAMED))
        if kit:
            submission.problems[name] = (
                f"{name}.py imports {', '.join(kit)}, the course's own reference or checking code, instead of "
                "doing the work itself: the parts it holds get no credit"
            )
            submission.kinds[name] = "kit-import"
            continue
        if forbidden:
            submission.autodiff[name] = forbidden
            submission.problems[name] = (
                f"{name}.py imports {', '.join(forbidden)}: an automatic-differentiation library does the "
                "work you are asked to do, so the parts it holds get no credit"
            )
            submission.kinds[name] = "autodiff-import"
    for key, kind in ((FILES_NOTE, "files-not-read"), (NOTEBOOK_NOTE, "notebook-changed")):
        if refused.get(key):
            submission.problems[key] = refused[key]
            submission.kinds[key] = kind
    # The boundary: names in these are the student's (files, folders, archive members).
    submission.problems = {key: inert(text, MAX_PROBLEM_CHARS) for key, text in submission.problems.items()}
    return submission


@functools.cache
def _public_definitions(module: str) -> tuple[str, ...]:
    """The classes and functions a student writes in ``module`` (the reference's, public names only)."""
    reference = Path(__file__).resolve().parents[2] / "solutions" / f"{module}.py"
    tree = ast.parse(reference.read_text())
    return tuple(node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))
                 and not node.name.startswith("_"))


def _missing(module: str, notebooks: bool) -> str:
    if not notebooks:
        return f"{module}.py is missing: the parts it holds get no credit"
    names = ", ".join(_public_definitions(module))
    return (f"no cell of the notebooks defines {names} ({module}.py's code): the parts it holds get no credit "
            "(an assignment's notebook alone is graded with --assignment)")


# ----------------------------------------------------------------------------
# Where the modules are
# ----------------------------------------------------------------------------
def _gather(path: Path) -> tuple[dict[str, bytes | str], dict[str, str], Notebooks | None]:
    """Module -> raw bytes (or notebook-extracted text), module/FILES_NOTE -> why not read, and the
    notebooks' view when the modules came from notebooks."""
    if path.is_dir():
        tree = files.scan(path)
    elif files.is_archive(path.name):
        tree = files.scan_archive(path)
    else:
        return _single_file(path)
    notes = tree.notes()
    package = find_package_dir(tree)
    notebooks = sorted(p for p in tree.files if p.suffix == ".ipynb")
    if package is None and not notebooks and tree.members is None:
        # An archive handed in as it is (an LMS download): what it holds, read in memory.
        archives = sorted((p for p in tree.files if files.is_archive(p.name)), key=lambda p: (len(p.parts), str(p)))
        if archives:
            try:
                tree = files.archive_tree(path / archives[0], tree.read(archives[0], files.MAX_ARCHIVE_BYTES))
            except RefusedFile as error:
                notes.append(str(error))
            else:
                notes += [f"{inert(archives[0])}: {note}" for note in tree.notes()]
                package = find_package_dir(tree)
                notebooks = sorted(p for p in tree.files if p.suffix == ".ipynb")
    refused: dict[str, str] = {}
    raw: dict[str, bytes | str] = {}
    notebook = None
    if package is not None:
        for module in MODULES:
            relative = package / f"{module}.py"
            if relative in tree.refused:
                refused[module] = f"{module}.py was not read: {inert(relative)} is {tree.refused[relative]}"
                notes = [n for n in notes if not n.endswith(f"{inert(relative)}: {tree.refused[relative]}")]
            elif relative in tree.files:
                try:
                    raw[module] = tree.read(relative, MAX_SOURCE_BYTES)
                except RefusedFile as error:
                    refused[module] = f"{module}.py was not read: {error}"
    elif notebooks:
        notebook = read_notebooks(tree, notebooks)
        raw, notes, refused[NOTEBOOK_NOTE] = dict(notebook.sources), notes + notebook.notes, notebook.changed
    if notes:
        shown = "; ".join(note if len(note) <= 200 else note[:197] + "..." for note in notes[:10])
        refused[FILES_NOTE] = "Not read: " + shown + (f"; and {len(notes) - 10} more" if len(notes) > 10 else "")
    return raw, refused, notebook


def _single_file(path: Path) -> tuple[dict[str, bytes | str], dict[str, str], Notebooks | None]:
    if path.suffix == ".ipynb":
        notebook = read_notebooks(files.Tree(path.parent, files={PurePosixPath(path.name): 0}),
                                  [PurePosixPath(path.name)])
        return dict(notebook.sources), {NOTEBOOK_NOTE: notebook.changed}, notebook
    if path.suffix == ".py" and path.stem in MODULES:
        try:
            return {path.stem: files.read_path(path, MAX_SOURCE_BYTES)}, {}, None
        except RefusedFile as error:
            return {}, {path.stem: f"{path.stem}.py was not read: {error}"}, None
    raise UnusableSubmission(f"{inert(path)} is neither a folder, an archive, a notebook, nor engine.py/nn.py/train.py")


def find_package_dir(tree: files.Tree) -> PurePosixPath | None:
    """The folder (relative to the root) holding engine.py/nn.py/train.py: ``micrograd_skeleton/``
    or the root itself first, then the shallowest one below (an unzipped repository with a
    top-level folder).  Only folders the scan saw, so never through a link."""
    holders = {f.parent for f in tree.files if f.suffix == ".py" and f.stem in MODULES}
    holders |= {f.parent for f in tree.refused if f.suffix == ".py" and f.stem in MODULES}
    root = PurePosixPath()
    candidates = [root / PACKAGE, root]
    candidates += sorted((d for d in tree.dirs if d.name == PACKAGE), key=lambda d: (len(d.parts), str(d)))
    candidates += sorted(holders, key=lambda d: (len(d.parts), str(d)))
    for candidate in candidates:
        if candidate in holders and len(candidate.parts) <= 4:
            return candidate
    return None


@dataclass
class Notebooks:
    """A notebook submission as the grader reads it: the modules its cells make up, where each of
    their lines was written, which assignment its check cells are, and what changed in the course's cells."""

    sources: dict[str, str]
    places: dict[str, list[str | None]]
    assignment: str | None
    changed: str
    notes: list[str]


def read_notebooks(tree: files.Tree, paths: list[PurePosixPath]) -> Notebooks:
    """The one reader of notebook submissions (``grade``, ``grade-batch``, platforms)."""
    from micrograd_feedback.cells import assemble, student_cells  # only needed for notebook submissions

    from ..rubric import load_rubric
    from .notebook_integrity import assignment_of, summary

    notes, documents, cells, names = [], [], [], []
    for relative in paths[:MAX_NOTEBOOKS]:
        try:
            document = tree.read(relative, MAX_NOTEBOOK_BYTES)
        except RefusedFile as error:
            notes.append(str(error))
            continue
        documents.append(document)
        for ordinal, source, tag in student_cells(document):
            cells.append((source, tag))
            names.append((inert(relative.name), ordinal))
    if len(paths) > MAX_NOTEBOOKS:
        notes.append(f"only the first {MAX_NOTEBOOKS} notebooks were read")
    assembled = assemble(cells)
    places = {module: [None if origin is None else
                       f"{names[origin[0]][0]}, Cell In[{names[origin[0]][1]}], line {origin[1]}"
                       for origin in module_text.origins] for module, module_text in assembled.items()}
    rubric = load_rubric()
    return Notebooks({m: a.source for m, a in assembled.items()}, places, assignment_of(documents, rubric),
                     summary(documents, rubric), notes)


# ----------------------------------------------------------------------------
# Decoding and compiling, as Python would
# ----------------------------------------------------------------------------
def decode_source(name: str, data: bytes) -> str:
    """The source text Python would see; ``UndecodableSource`` when Python would refuse it.

    Python honours a PEP 263 ``coding:`` line, so a file declaring ``utf-7``
    means something else to the interpreter than to a UTF-8 reader (an import
    of torch can hide in what looks like a comment).  The grader accepts
    UTF-8 only, Python's default, and says so otherwise.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:  # not UTF-8 in the first lines, an unknown encoding, or a BOM against the cookie
        raise UndecodableSource(f"{name}.py cannot be imported: {error.msg} (save it as UTF-8, with no "
                                "`coding:` line)") from None
    if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        raise UndecodableSource(f"{name}.py declares the source encoding {encoding!r} (a `coding:` line): "
                                "the grader reads UTF-8 only, Python's default. Remove that line and save "
                                "the file as UTF-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UndecodableSource(f"{name}.py cannot be imported: it is not valid UTF-8 (line {line}); "
                                "save it as UTF-8") from None


def _parsed(name: str, source: str, place=None) -> ast.Module | str:
    """The syntax tree, or what keeps the module from being imported (parsed once, then
    compiled from the tree: some errors, e.g. ``return`` outside a function, show only then).
    ``place(file, line)`` says where a line is in the student's terms (a notebook cell)."""
    try:
        tree = ast.parse(source, f"{name}.py")
        compile(tree, f"{name}.py", "exec", dont_inherit=True)
    except SyntaxError as error:
        where = (place or (lambda f, n: f"{f}, line {n}"))(f"{name}.py", error.lineno) if error.lineno \
            else f"{name}.py"
        return f"{name}.py cannot be imported: {type(error).__name__} at {where}: {error.msg}"
    except (RecursionError, MemoryError):
        return f"{name}.py cannot be imported: it is nested too deeply for Python to compile"
    except (ValueError, OverflowError, SystemError) as error:  # e.g. null bytes
        return f"{name}.py cannot be imported: {type(error).__name__}: {str(error)[:200]}"
    return tree


def imports_and_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """What a module may import, in one walk of its tree: the dotted names of the modules it imports
    statically (``from a import b``: ``a`` and ``a.b``, which may be a submodule), and the first dotted
    components of its constant strings (modules a program may import by name: ``__import__("torch")``,
    ``importlib.import_module("jax")``, ``sys.modules["_reference.engine"]``)."""
    modules: set[str] = set()
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                named.add(node.value.split(".")[0])
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return modules, named
