"""Fetch, verify, install and run the hidden grader on a CI machine: the trusted step.

    sudo /usr/bin/python3 -I runner.py --bundle URL_OR_FILE --sha256 HEX --checkout DIR --out DIR
        [--assignment NAME] [--classroom50] [--torch-index URL]

Standard library only, so it runs on any runner's system Python.  It

1. reads the grader bundle (``python -m deploy.bundle``) from a file or a URL
   (with ``$MICROGRAD_GRADER_TOKEN`` as a bearer token: a GitHub release asset
   of a private repository) and refuses it unless its sha256 is the pinned one;
2. installs it into a new virtual environment in a new root-only folder, with
   a fresh HOME and no pip cache, from the system interpreter in isolated mode:
   nothing a student's code could have written earlier (a ``.pth`` file, a
   ``sitecustomize``, a poisoned cache, a PATH entry, an environment file) is
   read;
3. grades the checkout with ``python -I -m deploy.ci`` from that environment,
   in a minimal environment, writing every report into ``--out``;
4. removes the environment.

As Classroom 50's ``autograder.py`` (``make classroom50`` publishes this file
under that name) it takes its settings from ``grader.json`` beside it and
Classroom 50's environment, and writes ``result.json`` and ``release-body.md``
into the checkout (its working directory).  docs/classroom.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path, PurePosixPath

MAX_BUNDLE_BYTES = 64 << 20
TOKEN_ENV = "MICROGRAD_GRADER_TOKEN"
SECRET_ENV = "MICROGRAD_GRADER_SECRET"
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Passed on to the grader; everything else in the caller's environment is dropped.
PASSED_ON = (SECRET_ENV, "CLASSROOM", "ASSIGNMENT", "USERNAME", "SUBMISSION_TAG", "COMMIT_URL", "RELEASE_URL",
             "REVIEW_URL", "GITHUB_SHA", "GITHUB_REPOSITORY", "GITHUB_ACTOR", "GITHUB_SERVER_URL", "MICROGRAD_CGROUP",
             "MICROGRAD_SANDBOX", "MODE")


class Refused(Exception):
    """The bundle is not the pinned one, or cannot be read safely."""


def read_bundle(source: str, token: str | None) -> bytes:
    if source.startswith(("https://", "http://", "file://")):
        request = urllib.request.Request(source, headers={"Accept": "application/octet-stream",
                                                          "User-Agent": "micrograd-grader-runner"})
        if token and source.startswith("https://"):
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read(MAX_BUNDLE_BYTES + 1)
    else:
        with open(source, "rb") as stream:
            data = stream.read(MAX_BUNDLE_BYTES + 1)
    if len(data) > MAX_BUNDLE_BYTES:
        raise Refused(f"the bundle is larger than {MAX_BUNDLE_BYTES >> 20} MiB")
    return data


def verify(data: bytes, pinned: str) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(digest, pinned.strip().lower()):
        raise Refused(f"the bundle's sha256 is {digest}, not the pinned {pinned}: refusing to run it")


def extract(data: bytes, target: Path) -> Path:
    """Regular files only, each inside one top folder; returns that folder."""
    import io

    tops = set()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            path = PurePosixPath(member.name)
            if not member.isfile() or path.is_absolute() or ".." in path.parts or len(path.parts) < 2:
                raise Refused(f"the bundle holds an unexpected entry: {member.name!r}")
            tops.add(path.parts[0])
            destination = target.joinpath(*path.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            destination.write_bytes(source.read())
    if len(tops) != 1:
        raise Refused("the bundle must hold exactly one top folder")
    return target / tops.pop()


def clean_environment(home: Path, keep: dict[str, str]) -> dict[str, str]:
    environment = {"PATH": SAFE_PATH, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                   "XDG_CACHE_HOME": str(home / ".cache"), "LANG": "C.UTF-8", "PIP_NO_CACHE_DIR": "1",
                   "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    environment.update({k: v for k, v in keep.items() if k in PASSED_ON and v})
    return environment


def run(command: list[str], environment: dict[str, str], cwd: Path, log: Path) -> None:
    with open(log, "a") as stream:
        stream.write("$ " + " ".join(command) + "\n")
        stream.flush()
        completed = subprocess.run(command, env=environment, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stream,
                                   stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command[:4])} ... failed with status {completed.returncode}:\n{tail}")


def install_and_grade(args: argparse.Namespace, data: bytes) -> int:
    parent = Path(args.workdir) if args.workdir else None
    work = Path(tempfile.mkdtemp(prefix="micrograd-grader-", dir=parent))  # 0700, owned by whoever runs this
    try:
        bundle = extract(data, work / "bundle")
        home = work / "home"
        home.mkdir()
        environment = clean_environment(home, dict(os.environ))
        log = work / "install.log"
        venv = work / "venv"
        run([sys.executable, "-I", "-m", "venv", str(venv)], environment, work, log)
        python = str(venv / "bin" / "python")
        torch = (bundle / "torch-requirement.txt").read_text().strip()
        index = ["--index-url", args.torch_index] if args.torch_index else []
        run([python, "-I", "-m", "pip", "install", "-q", *index, torch], environment, work, log)
        run([python, "-I", "-m", "pip", "install", "-q", "--no-build-isolation", str(bundle)], environment, work, log)
        out = Path(args.out).resolve()
        out.mkdir(parents=True, exist_ok=True)
        command = [python, "-I", "-m", "deploy.ci", "grade", str(Path(args.checkout).resolve()), "--out", str(out),
                   "--bundle-sha256", hashlib.sha256(data).hexdigest()]
        if args.assignment:
            command += ["--assignment", args.assignment]
        if args.classroom50:
            command.append("--classroom50")
        completed = subprocess.run(command, env=environment, cwd=home, stdin=subprocess.DEVNULL, check=False)
        return completed.returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


def classroom50_arguments(argv: list[str]) -> list[str]:
    """Run as Classroom 50's autograder.py: settings from grader.json beside this file."""
    here = Path(os.environ.get("CLASSROOM50_BUNDLE_DIR") or Path(__file__).resolve().parent)
    settings = json.loads((here / "grader.json").read_text())
    arguments = ["--bundle", settings["bundle"], "--sha256", settings["sha256"], "--checkout", ".",
                 "--out", os.environ.get("RUNNER_TEMP", tempfile.gettempdir()) + "/micrograd-results",
                 "--classroom50"]
    if settings.get("assignment"):
        arguments += ["--assignment", settings["assignment"]]
    if settings.get("torch_index"):
        arguments += ["--torch-index", settings["torch_index"]]
    return arguments + argv


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    classroom50 = not argv and bool(os.environ.get("CLASSROOM50_BUNDLE_DIR") or os.environ.get("SUBMISSION_TAG"))
    if classroom50:
        argv = classroom50_arguments(argv)
        if os.geteuid() != 0 and shutil.which("sudo"):
            # The sandbox drops to an unprivileged uid, which takes root; sudo -n never prompts.
            keep = ",".join(k for k in (*PASSED_ON, TOKEN_ENV) if k in os.environ)
            return subprocess.call(["sudo", "-n", f"--preserve-env={keep}" if keep else "-E", sys.executable, "-I",
                                    str(Path(__file__).resolve()), *argv])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, help="the grader bundle: a file, or an https:// URL")
    parser.add_argument("--sha256", required=True, help="the bundle's pinned sha256")
    parser.add_argument("--checkout", required=True, help="the student's repository")
    parser.add_argument("--out", required=True, help="where the reports go")
    parser.add_argument("--assignment", help="grade one assignment of the rubric only")
    parser.add_argument("--classroom50", action="store_true", help="also write Classroom 50's result.json")
    parser.add_argument("--torch-index", help="where PyTorch comes from (e.g. its CPU-only index)")
    parser.add_argument("--workdir", help="where the temporary environment goes (default: the temp dir)")
    args = parser.parse_args(argv)
    try:
        data = read_bundle(args.bundle, os.environ.get(TOKEN_ENV))
        verify(data, args.sha256)
        status = install_and_grade(args, data)
    except (Refused, OSError, RuntimeError, tarfile.TarError, ValueError) as error:
        print(f"micrograd grader: {error}", file=sys.stderr)
        status = 3
    if args.classroom50:
        out = Path(args.out)
        for name in ("result.json", "release-body.md"):
            if (out / "classroom50" / name).is_file():
                shutil.copyfile(out / "classroom50" / name, Path(args.checkout) / name)
    return status


if __name__ == "__main__":
    sys.exit(main())
