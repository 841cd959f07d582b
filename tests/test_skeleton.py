"""The student skeleton: generated, importable, every stub explains itself, and
the public tests fail on it but pass on the reference."""

from __future__ import annotations

import importlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import generate_skeleton  # noqa: E402

# What students write, per module (the mission's list).
STUBBED = {
    # the Value members the rubric grades: adding or dropping an operation changes them (docs/customising.md)
    "engine": [f"Value.{member}" for part in load_rubric().parts.values() if part.module == "engine"
               for member in part.members],
    "nn": [
        "Module.zero_grad", "Neuron.__init__", "Neuron.__call__", "Neuron.parameters",
        "Layer.__init__", "Layer.__call__", "Layer.parameters",
        "MLP.__init__", "MLP.__call__", "MLP.parameters",
    ],
    "train": ["mse_loss", "hinge_loss", "l2_regularization", "sgd_step", "train", "accuracy"],
}


def test_committed_skeleton_matches_the_generator():
    for name, text in generate_skeleton.skeleton_files().items():
        committed = (ROOT / "micrograd_skeleton" / name).read_text()
        assert committed == text, f"micrograd_skeleton/{name} is stale: run `make skeleton`"


def test_exactly_the_mission_stubs_are_stubbed():
    for module, expected in STUBBED.items():
        source = (ROOT / "solutions" / f"{module}.py").read_text()
        found = [region.function for region in generate_skeleton.find_regions(source)]
        assert sorted(found) == sorted(expected), module


@pytest.mark.parametrize("module", STUBBED)
def test_skeleton_imports_cleanly(module):
    importlib.import_module(f"micrograd_skeleton.{module}")


def _call_stub(module, qualname):
    """Call one stub with plausible arguments; return the exception it raises."""
    mod = importlib.import_module(f"micrograd_skeleton.{module}")
    Value = importlib.import_module("micrograd_skeleton.engine").Value
    owner_name, _, method = qualname.rpartition(".")
    if not owner_name:
        fn = getattr(mod, method)
        args = [[Value(1.0)], [1.0]] if method != "train" else [object(), [], []]
        kwargs = {"steps": 1, "lr": 0.1} if method == "train" else {}
        if method in ("l2_regularization", "sgd_step"):
            args = [[Value(1.0)], 0.1]
        with pytest.raises(NotImplementedError) as info:
            fn(*args, **kwargs)
        return info.value
    cls = getattr(mod, owner_name)
    if owner_name == "Value":
        instance = Value(2.0)
    else:
        instance = cls.__new__(cls)  # skip a stubbed __init__
        instance.activation = "tanh"
    fn = getattr(instance, method)
    n_params = len(inspect.signature(fn).parameters)
    args = {"Neuron.__init__": [2], "Layer.__init__": [2, 2], "MLP.__init__": [2, [2, 1]]}.get(qualname)
    if args is None:
        args = [[1.0, 2.0]] if method == "__call__" else [2 if method == "__pow__" else Value(1.0)] * n_params
    with pytest.raises(NotImplementedError) as info:
        fn(*args)
    return info.value


@pytest.mark.parametrize("module, qualname", [(m, q) for m, qs in STUBBED.items() for q in qs])
def test_every_stub_raises_a_clear_not_implemented_error(module, qualname):
    error = _call_stub(module, qualname)
    message = str(error)
    assert message.startswith(f"{qualname}: "), message
    assert len(message) > len(qualname) + 10, "the stub should carry a hint"


def _run_public_tests(package_source: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run the shipped public tests against the modules in ``package_source``."""
    package = tmp_path / "micrograd_skeleton"
    shutil.copytree(package_source, package, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    shutil.copytree(ROOT / "micrograd_skeleton" / "tests", package / "tests")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(package)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )


def test_public_tests_pass_on_the_reference(tmp_path):
    result = _run_public_tests(ROOT / "solutions", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_tests_fail_helpfully_on_the_untouched_skeleton(tmp_path):
    result = _run_public_tests(ROOT / "micrograd_skeleton", tmp_path)
    assert result.returncode == 1
    summary = result.stdout.strip().splitlines()[-1]
    assert "failed" in summary and "passed" not in summary, summary
    shown = " ".join(result.stdout.split())  # the report wraps its lines
    assert "Value.__add__: wrap a number in a Value" in shown
    assert "still the skeleton's stub" in shown
    assert "Traceback" not in result.stdout and "selfcheck/__init__.py" not in result.stdout


def test_committed_examples_match_the_generator():
    import generate_examples

    for path, text in generate_examples.example_files().items():
        assert path.read_text() == text, f"{path} is stale: run python tools/generate_examples.py"


def documented_output(name: str) -> str:
    """The block of docs/students.md after its ``<!-- real output: name -->`` marker."""
    text = (ROOT / "docs" / "students.md").read_text()
    after = text.split(f"<!-- real output: {name} -->\n```\n", 1)[1]
    return after.split("\n```", 1)[0]


def test_the_documented_public_test_output_is_what_a_student_sees(tmp_path):
    """docs/students.md shows the real report of ``pytest micrograd_skeleton`` on a relu bug, line for line."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "solutions", source, ignore=shutil.ignore_patterns("__pycache__"))
    engine = source / "engine.py"
    text = engine.read_text()
    at = text.index("out._backward = _backward", text.index("def relu("))
    engine.write_text(text[:at] + "out.backward = _backward" + text[at + len("out._backward = _backward"):])
    result = _run_public_tests(source, tmp_path)
    assert documented_output("relu-out-backward") in result.stdout, result.stdout
    assert "Traceback" not in result.stdout
