"""In a student's notebook: the public check of a part, on the code the kernel has run.

The release notebooks' check cells call ``check("relu")``: it runs the part's
public self-checks (``selfcheck``) on the objects the student's cells defined
(``Value``, ``Neuron``, ...), prints what failed with the diagnosis and where
(``Cell In[5], line 3``), and raises ``SelfCheckFailed`` when the part is not
fully right, so that nbgrader's Validate fails and names it.  Under
``nbgrader autograde`` it does nothing: the cell's hidden part asks the
course's grader, which exists only in the instructor's environment.
``setup_notebook`` keeps the kernel alive when student code calls ``os._exit``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from types import FrameType

from . import selfcheck

_CELL_FILE = re.compile(r"[/\\]ipykernel_\d+[/\\]\d+\.py$|^<ipython-input-")


def check(part: str) -> None:
    """Run the public checks of ``part`` on what this kernel has run; raise if any fails."""
    __tracebackhide__ = True  # IPython and pytest show the student the message, not the checker's frames
    if under_autograde():  # the hidden part of the cell reports instead, with the course's grader
        return
    shell = _shell()
    namespace = shell.user_ns if shell is not None else {}
    text = selfcheck.require_part(part, selfcheck.namespace_modules(namespace), locate=_cell_of(shell))
    print(text)


def under_autograde(cwd: Path | None = None) -> bool:
    """Whether this kernel runs a submission under ``nbgrader autograde`` (in ``autograded/<student>/<a>/``)."""
    cwd = cwd or Path.cwd()
    return cwd.parent.parent.name == "autograded"


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _cell_of(shell):
    """``(filename, line) -> "Cell In[n], line m"`` for the code of this kernel's cells."""
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)

    def locate(filename: str, line: int) -> str | None:
        if isinstance(names, dict) and filename in names:
            return f"Cell In[{names[filename]}], line {line}"
        return f"a notebook cell, line {line}" if _CELL_FILE.search(filename) else None

    return locate


def setup_notebook() -> None:
    """Keep the kernel alive when notebook code calls ``os._exit``.

    nbgrader loses every grade of a notebook whose kernel dies, and the
    notebook's demonstration cells call the student's methods in the kernel
    itself.  ``os._exit`` called from code defined in a cell raises instead;
    Jupyter's own calls (not from cell code) still exit.
    """
    import posix

    real_exit = getattr(os._exit, "__wrapped__", os._exit)

    def _exit(status: int = 0) -> None:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if _CELL_FILE.search(frame.f_code.co_filename):
                raise RuntimeError(
                    f"os._exit({status}) was called from notebook code; the kernel was kept alive "
                    "so that the rest of the notebook still runs"
                )
            frame = frame.f_back
        real_exit(status)

    _exit.__wrapped__ = real_exit  # type: ignore[attr-defined]
    os._exit = _exit  # type: ignore[assignment]
    posix._exit = _exit  # type: ignore[assignment]
