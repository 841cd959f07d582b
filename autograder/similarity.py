"""Similar code in a class, for review: which submissions share code beyond what the course gave them.

Each submission's modules (a package's files, or the code its notebooks hold, as ``intake`` reads
them) are one document; so is each public source the instructor names (``--public-code DIR``: e.g.
karpathy/micrograd's ``engine.py``, which the lectures build line by line) and the kit's own
reference (``solutions/``: the instructor's checkout has it, a student's never does).  copydetect
fingerprints every document (pygments tokens, names reduced to one letter, so renaming changes
nothing; winnowing over k-grams) with the course's own code removed as boilerplate: the skeleton
package and the released notebooks, solutions cleared as nbgrader clears them.  A pair is listed
when at least ``threshold`` of either side's own code is found in the other.

Nothing here runs student code, and nothing is a verdict: correct micrograd engines resemble each
other (the lectures write one), which is why the threshold is high and the report shows the code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .intake import files
from .intake.files import RefusedFile
from .rubric import MODULES

ROOT = Path(__file__).resolve().parents[1]
# copydetect's noise threshold (k, in filtered characters) and window: k-grams shorter than a line
# or two of micrograd ("out = Value(self.data + other.data, (self, other), '+')" is 22 after
# filtering) would make every engine look like every other; measured on the learner corpus,
# independent engines share at most 0.53 at k=35, renamed copies 1.0 (docs/similarity.md).
NOISE, GUARANTEE = 35, 40
THRESHOLD = 0.8  # the share of one side's own code found in the other that lists a pair
MIN_MATCHED = 120  # filtered characters in common, below which a pair is too small to say anything
MAX_DOCUMENT = 200_000  # characters compared per document: an engine is a few thousand
SIDE_BY_SIDE = 30  # the pairs, most similar first, whose shared code is located to be shown
# For comparing, in CPU seconds (grade-batch compares at a low priority while it grades: wall time would
# cut a big class short there): a class of hundreds whose code is all alike stops there, and says so.
BUDGET_SECONDS = 120.0
STUDENT, PUBLIC, REFERENCE = "student", "public source", "the kit's reference"


@dataclass(frozen=True)
class Document:
    """The code of one submission, public source or the reference, as compared and as shown."""

    name: str  # the submission's folder name, the public file's path under DIR, or REFERENCE
    kind: str  # STUDENT, PUBLIC or REFERENCE
    text: str  # each module under a "# ---- engine.py" line, tabs expanded, line ends "\n"


@dataclass(frozen=True)
class Pair:
    """Two documents that share code: how much of each one's own code is in the other, and where."""

    left: Document  # a student's, always
    right: Document
    left_share: float  # of left's code (boilerplate aside), the part also in right
    right_share: float
    # [start, end) character ranges of each text that match: located for the first SIDE_BY_SIDE pairs only
    left_spans: tuple[tuple[int, int], ...] = ()
    right_spans: tuple[tuple[int, int], ...] = ()

    @property
    def share(self) -> float:
        return max(self.left_share, self.right_share)


@dataclass(frozen=True)
class Similarity:
    """What a class's comparison found: the pairs at or above ``threshold``, most similar first."""

    pairs: tuple[Pair, ...]
    compared: int  # student documents compared
    public: tuple[str, ...]  # the public sources and the reference they were compared with
    threshold: float
    unfinished: int = 0  # comparisons left undone when the time budget ran out (0: every pair compared)


def document_text(named: dict[str, str]) -> str:
    """Files (name -> code) as one document, each under its name (a comment: it never matches)."""
    parts = []
    for name, code in named.items():
        code = code.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
        parts.append(f"# ---- {name}\n{code.rstrip()}\n")
    return "\n".join(parts)[:MAX_DOCUMENT]


def module_text(sources: dict[str, str]) -> str:
    """A submission's modules (module -> source) as one document, in the rubric's order."""
    return document_text({f"{m}.py": sources[m] for m in MODULES if m in sources})


def student_documents(read: dict) -> list[Document]:
    """The documents of a batch's submissions (name -> ``Submission``, or the exception reading it raised)."""
    from .intake.submission import Submission

    return [Document(name, STUDENT, module_text(s.sources)) for name, s in sorted(read.items())
            if isinstance(s, Submission) and s.sources]


def public_documents(folder: Path | None, modules: tuple[str, ...] = MODULES) -> list[Document]:
    """Every ``.py`` file under ``folder`` (no link followed), and the kit's reference when it is here (its
    ``modules`` only: a class that handed in engines is shown the reference's engine, nothing else)."""
    found = []
    if folder is not None:
        for path in sorted(Path(folder).rglob("*.py")):
            try:
                text = files.read_path(path, MAX_DOCUMENT).decode("utf-8", errors="replace")
            except (RefusedFile, OSError):
                continue
            found.append(Document(path.relative_to(folder).as_posix(), PUBLIC, document_text({path.name: text})))
    reference = kit_modules("solutions", modules)
    if reference:
        found.append(Document(REFERENCE, REFERENCE, module_text(reference)))
    return found


def kit_modules(package: str, modules: tuple[str, ...]) -> dict[str, str]:
    """Module -> source of the kit's own ``package`` (the reference, or the skeleton), those it has."""
    return {m: (ROOT / package / f"{m}.py").read_text() for m in modules if (ROOT / package / f"{m}.py").is_file()}


@cache
def boilerplate_texts(notebooks: bool) -> tuple[str, ...]:
    """The code the course hands out: the skeleton's modules, and with ``notebooks`` each released
    notebook's modules (the source notebook with nbgrader's own ClearSolutions applied, read as a
    submission is read; only a class that handed in notebooks needs them, and nbformat takes a second)."""
    from .intake.submission import load_submission

    texts = [module_text(kit_modules("micrograd_skeleton", MODULES))]
    if not notebooks:
        return tuple(texts)
    try:
        import nbformat
        from nbgrader.preprocessors import ClearSolutions
    except ImportError:  # no course extra: the skeleton alone is the boilerplate
        return tuple(texts)
    for notebook in sorted((ROOT / "assignments" / "source").glob("*/*.ipynb")):
        released, _ = ClearSolutions().preprocess(nbformat.read(notebook, as_version=4), {"language": "python"})
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / notebook.name
            nbformat.write(released, path)
            texts.append(module_text(load_submission(path).sources))
    return tuple(texts)


def compare(documents: list[Document], public: list[Document], threshold: float = THRESHOLD,
            notebooks: bool = False) -> Similarity:
    """Every pair of student documents, and every student document with every public one; ``notebooks``:
    some were handed in as notebooks (their given code is boilerplate too)."""
    import numpy as np
    from copydetect import CodeFingerprint, compare_files, utils

    # copydetect hashes k-grams with hash(), which Python salts per process: winnowing would keep other
    # fingerprints in each run, and shares and highlights would move between two runs on the same class.
    utils.hashed_kgrams = stable_kgram_hashes

    def fingerprint(document: Document, window: int, boilerplate=None):
        with warnings.catch_warnings():  # copydetect warns about empty documents: they simply match nothing
            warnings.simplefilter("ignore")
            return CodeFingerprint(f"{document.name}.py", NOISE, window, boilerplate=boilerplate,
                                   fp=io.StringIO(document.text), language="python")

    boilerplate = set()
    for text in boilerplate_texts(notebooks):
        boilerplate |= fingerprint(Document("boilerplate", PUBLIC, text), 1).hashes
    excluded = np.array(sorted(boilerplate))
    window = GUARANTEE - NOISE + 1
    prints = {id(d): fingerprint(d, window, excluded) for d in documents + public}
    # Documents whose code is the same once tokenized (copies that differ in comments, blank lines or names)
    # are compared once, as one, then every pair of their holders is listed.
    same: dict[str, list[Document]] = {}
    for document in documents:
        same.setdefault(prints[id(document)].filtered_code, []).append(document)
    kept = [group[0] for group in same.values()]
    candidates = [*((d, d) for d in kept if len(same[prints[id(d)].filtered_code]) > 1),
                  *itertools.combinations(kept, 2), *itertools.product(kept, public)]
    pairs: list[Pair] = []
    stop = time.process_time() + BUDGET_SECONDS
    done = 0
    for left, right in candidates:
        if time.process_time() > stop:
            break
        done += 1
        matched, (left_share, right_share), _ = compare_files(prints[id(left)], prints[id(right)])
        if matched < MIN_MATCHED or max(left_share, right_share) < threshold:
            continue
        holders = same[prints[id(left)].filtered_code]
        found = itertools.combinations(holders, 2) if left is right else \
            itertools.product(holders, same[prints[id(right)].filtered_code] if right.kind == STUDENT else [right])
        pairs += [Pair(a, b, float(left_share), float(right_share)) for a, b in found]
    pairs.sort(key=lambda p: (-p.share, p.left.name, p.right.name))
    for i, pair in enumerate(pairs[:SIDE_BY_SIDE]):  # where the shared code is, in each pair's own texts
        _, _, (left_slices, right_slices) = compare_files(prints[id(pair.left)], prints[id(pair.right)])
        pairs[i] = dataclasses.replace(pair, left_spans=spans(left_slices, len(pair.left.text)),
                                       right_spans=spans(right_slices, len(pair.right.text)))
    return Similarity(tuple(pairs), len(documents), tuple(d.name for d in public), threshold,
                      len(candidates) - done)


def stable_kgram_hashes(text: str, k: int):
    """copydetect's ``hashed_kgrams`` (the hash of every k-gram of ``text``), the same in every process."""
    import numpy as np

    return np.array([int.from_bytes(hashlib.blake2b(text[i:i + k].encode(), digest_size=8).digest(), "little",
                                    signed=True) for i in range(len(text) - k + 1)], dtype=np.int64)


def spans(slices, length: int) -> tuple[tuple[int, int], ...]:
    """copydetect's copied slices (starts, ends) as sorted, merged character ranges inside the text."""
    ranges = sorted((max(0, int(a)), min(length, int(b))) for a, b in zip(*slices) if int(b) > int(a))
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif start < end:
            merged.append((start, end))
    return tuple(merged)


def similarity(read: dict, public_code: Path | None = None, threshold: float = THRESHOLD) -> Similarity | str:
    """A batch's submissions (name -> what ``store.loaded`` read) compared with each other and the public
    code; without copydetect (the course extra), the sentence the class report says instead."""
    try:
        import copydetect  # noqa: F401 - only asking whether it is installed
    except ImportError:
        return "Install copydetect (pip install -e '.[course]') to compare the submissions' code."
    from .intake.submission import Submission

    handed_in = [s for s in read.values() if isinstance(s, Submission)]
    notebooks = any(s.places for s in handed_in)
    modules = tuple(m for m in MODULES if any(m in s.sources for s in handed_in))
    return compare(student_documents(read), public_documents(public_code, modules), threshold, notebooks)
