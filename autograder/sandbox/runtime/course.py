"""The course environment inside the sandbox: its packages, present or not.

A submission may import what the course environment provides (numpy,
matplotlib, graphviz, ...).  Where the sandbox interpreter lacks one of them,
``import matplotlib.pyplot as plt`` must not cost a whole module: a
placeholder is imported instead, and only *using* it fails, with a message
that says why.  Real packages always win (the finder comes last).

Standard library only; this file runs inside the sandbox.
"""

import importlib.machinery
import sys
import types


class NotInstalled(types.ModuleType):
    """A course package this sandbox does not have: importing works, using it raises."""

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        # AttributeError, so that `from package import submodule` falls back to importing it.
        raise AttributeError(
            f"{self.__name__} is not installed where your code is graded, so {self.__name__}.{attribute} "
            "cannot be used there (ask your instructor, or do not use it in graded code)"
        )


class CoursePackages:
    """A meta path finder for the course packages no other finder found."""

    def __init__(self, names):
        self.names = frozenset(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in self.names:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        return NotInstalled(spec.name)

    def exec_module(self, module):
        pass


def install(optional, preload=()):
    """Placeholders for the ``optional`` packages the sandbox lacks; then import ``preload``
    (course modules the submission imports) once, so forked workers inherit them."""
    sys.meta_path.append(CoursePackages(optional))
    for name in preload:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - a package that fails here fails the same way for the student
            pass
