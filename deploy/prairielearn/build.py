"""Lay out what a PrairieLearn course needs (``make prairielearn``)::

    image/                       the public grading image: Dockerfile + requirements (no grader inside)
    course/serverFilesCourse/micrograd/
        run.sh                   the entrypoint every micrograd question names
        grader/                  the grader's packages (hidden checks, reference solution)
        config/micrograd-kit/grader-secret   seeds the hidden inputs (made once; kept on rebuild)
    course/questions/micrograd/<assignment>/   one externally graded question per assignment
        info.json, question.html

``course/`` goes into the course repository (private: students never see
serverFilesCourse); ``image/`` is built and pushed to a public registry.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

from autograder.rubric import load_rubric
from deploy.bundle import package_files, requirements, torch_requirement, version

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
IMAGE = "YOUR_ACCOUNT/micrograd-grader"  # replace with the image you pushed (docs/prairielearn.md)
TIMEOUT = 120  # seconds PrairieLearn gives a job (at most 600)
UUID_NAMESPACE = uuid.UUID("6f1b2a9e-4f7d-4c55-9a43-2f6c1e0d8b71")  # question uuids are stable across builds
INTRO = {
    "value_engine": "Implement <code>Value</code> in <code>engine.py</code>: the operations, their local "
                    "gradients, and <code>backward()</code>.",
    "neural_net": "Implement <code>Neuron</code>, <code>Layer</code> and <code>MLP</code> in "
                  "<code>nn.py</code>, and the losses and training loop in <code>train.py</code>.",
}


def question_files(assignment: str) -> dict[str, str]:
    """``info.json`` and ``question.html`` of one assignment's question."""
    rubric = load_rubric().for_assignment(assignment)
    uploads = [f"{module}.py" for module in rubric.modules] + [f"{assignment}.ipynb"]
    info = {
        "uuid": str(uuid.uuid5(UUID_NAMESPACE, f"micrograd/{assignment}")),
        "title": f"micrograd: {assignment.replace('_', ' ')}",
        "topic": "Automatic differentiation",
        "tags": ["micrograd", assignment],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": IMAGE,
            "serverFilesCourse": ["micrograd/"],
            "entrypoint": f"/grade/serverFilesCourse/micrograd/run.sh {assignment}",
            "timeout": TIMEOUT,
        },
    }
    html = (FILES / "question" / "question.html").read_text()
    html = html.replace("@INTRO@", INTRO.get(assignment, "")).replace("@NOTEBOOK@", f"{assignment}.ipynb")
    html = html.replace("@FILES@", ", ".join(uploads))
    return {"info.json": json.dumps(info, indent=2) + "\n", "question.html": html}


def build(out: Path) -> Path:
    """Write ``image/`` and ``course/`` under ``out``; a grader secret already there is kept."""
    out = Path(out)
    secret_file = out / "course/serverFilesCourse/micrograd/config/micrograd-kit/grader-secret"
    secret = secret_file.read_text() if secret_file.is_file() else os.urandom(32).hex()
    for folder in ("image", "course"):
        shutil.rmtree(out / folder, ignore_errors=True)

    image = out / "image"
    image.mkdir(parents=True)
    (image / "Dockerfile").write_text((FILES / "Dockerfile").read_text().replace("@VERSION@", version()))
    (image / "requirements.txt").write_text("\n".join(requirements()) + "\n")
    (image / "torch-requirement.txt").write_text(torch_requirement() + "\n")

    server = out / "course/serverFilesCourse/micrograd"
    for name, content in package_files().items():
        target = server / "grader" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    shutil.copyfile(FILES / "run.sh", server / "run.sh")
    (server / "run.sh").chmod(0o755)
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    secret_file.write_text(secret)
    secret_file.chmod(0o600)

    for assignment in load_rubric().assignments:
        question = out / "course/questions/micrograd" / assignment
        question.mkdir(parents=True)
        for name, text in question_files(assignment).items():
            (question / name).write_text(text)
    return out
