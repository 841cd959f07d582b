"""A submission goes in: find its three modules, read them, check them statically.

Nothing here runs student code.  Sources are read as text, compiled only to
find syntax errors, and scanned for imports of automatic-differentiation
libraries.  Whatever the layout (a student repository with
``micrograd_skeleton/``, a bare folder with engine.py/nn.py/train.py, or
notebooks), the result is the same: module name -> source text.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

MODULES = ("engine", "nn", "train")
AUTODIFF_LIBRARIES = frozenset({"torch", "jax", "jaxlib", "tensorflow", "autograd", "mxnet", "paddle"})
MAX_SOURCE_BYTES = 1 << 20


class UnusableSubmission(Exception):
    """PATH does not exist or holds nothing that looks like a submission."""


@dataclass
class Submission:
    """The student's three modules as text, and what is wrong with them statically."""

    origin: Path
    sources: dict[str, str] = field(default_factory=dict)  # module -> source (present ones)
    problems: dict[str, str] = field(default_factory=dict)  # module -> why it cannot be graded
    autodiff: dict[str, list[str]] = field(default_factory=dict)  # module -> forbidden imports

    @property
    def digest(self) -> str:
        """A fingerprint of the content, so grading the same code gives the same inputs."""
        h = hashlib.sha256()
        for name in MODULES:
            h.update(name.encode() + b"\0" + self.sources.get(name, "").encode() + b"\0")
        return h.hexdigest()

    def usable(self, module: str) -> bool:
        return module in self.sources and module not in self.problems


def load_submission(path: Path) -> Submission:
    """Read the submission at ``path`` (a folder or notebook files)."""
    path = Path(path)
    if not path.exists():
        raise UnusableSubmission(f"{path} does not exist")
    sources = _notebook_sources(path) if _is_notebook_submission(path) else _module_sources(path)
    submission = Submission(origin=path)
    for name in MODULES:
        text = sources.get(name)
        if text is None:
            submission.problems[name] = f"{name}.py is missing: the parts it holds get no credit"
            continue
        submission.sources[name] = text
        tree = _parsed(name, text)
        if isinstance(tree, str):
            submission.problems[name] = tree
            continue
        forbidden = _autodiff_imports(tree)
        if forbidden:
            submission.autodiff[name] = forbidden
            submission.problems[name] = (
                f"{name}.py imports {', '.join(forbidden)}: an automatic-differentiation library does the "
                "work you are asked to do, so the parts it holds get no credit"
            )
    return submission


def find_package_dir(path: Path) -> Path | None:
    """The folder holding engine.py/nn.py/train.py: ``micrograd_skeleton/`` or the folder itself.

    Looks a few levels down, shallowest first, so that an unzipped repository
    with a top-level folder is found too.
    """
    candidates = [path / "micrograd_skeleton", path]
    for depth in range(1, 4):
        pattern = "/".join(["*"] * depth)
        candidates += sorted(p for p in path.glob(f"{pattern}/micrograd_skeleton") if p.is_dir())
        candidates += sorted(p.parent for p in path.glob(f"{pattern}/engine.py"))
    for candidate in candidates:
        if candidate.is_dir() and any((candidate / f"{m}.py").is_file() for m in MODULES):
            return candidate
    return None


def _module_sources(path: Path) -> dict[str, str]:
    if path.is_file():
        if path.suffix == ".py" and path.stem in MODULES:
            return {path.stem: _read(path)}
        raise UnusableSubmission(f"{path} is neither a folder, a notebook, nor engine.py/nn.py/train.py")
    package = find_package_dir(path)
    if package is None:
        return {}
    return {m: _read(package / f"{m}.py") for m in MODULES if (package / f"{m}.py").is_file()}


def _is_notebook_submission(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".ipynb"
    return find_package_dir(path) is None and any(path.rglob("*.ipynb"))


def _notebook_sources(path: Path) -> dict[str, str]:
    from . import notebooks  # nbformat is only needed for notebook submissions

    paths = [path] if path.is_file() else sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return notebooks.extract_modules(paths)


def _read(path: Path) -> str:
    data = path.read_bytes()[:MAX_SOURCE_BYTES]
    return data.decode("utf-8", errors="replace")


def _parsed(name: str, source: str) -> ast.Module | str:
    """The syntax tree, or what keeps the module from being imported (parsed once, then
    compiled from the tree: some errors, e.g. ``return`` outside a function, show only then)."""
    try:
        tree = ast.parse(source, f"{name}.py")
        compile(tree, f"{name}.py", "exec", dont_inherit=True)
    except SyntaxError as error:
        where = f"{name}.py, line {error.lineno}" if error.lineno else f"{name}.py"
        return f"{name}.py cannot be imported: SyntaxError at {where}: {error.msg}"
    except ValueError as error:  # e.g. null bytes
        return f"{name}.py cannot be imported: {error}"
    return tree


def _autodiff_imports(tree: ast.Module) -> list[str]:
    """Names of autodiff libraries imported (statically, or by a constant string)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]  # __import__("torch"), importlib.import_module("jax")
        found.update(n.split(".")[0] for n in names if n.split(".")[0] in AUTODIFF_LIBRARIES)
    return sorted(found)
