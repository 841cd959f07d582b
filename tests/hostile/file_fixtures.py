"""Hostile submission *files*: links, special files, archives, encodings, absurd sizes and shapes.

Each builder makes one submission folder from the reference solution (or from
nothing) and plants one way a folder can lie to, or overwhelm, whoever reads
it.  ``ZERO`` says which modules' parts must get no credit (what cannot be
read honestly scores nothing); ``MENTIONS`` what the result must say so the
student and the instructor know why.  ``tests/test_hostile_files.py`` grades
them all in one batch and checks every result, feedback file and the
gradebook.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MODULES = ("engine", "nn", "train")
LINK = "symbolic link"


@dataclass
class Context:
    """What builders may point at: the secret, a classmate, the kit's own solutions."""

    root: Path  # the kit's checkout
    secret: str  # the grader secret's value
    secret_file: Path  # a file holding it (the grader's secret file)
    classmate: Path  # a correct classmate's submission folder, with marker text in it
    classmate_marker: str


@dataclass
class Fixture:
    name: str
    build: Callable[[Path, Context], Path]
    zero: tuple[str, ...]  # modules whose parts must score 0
    mentions: tuple[str, ...] = ()  # text the result must contain
    memory_heavy: bool = False  # graded alone too, with the grader's peak memory measured


FIXTURES: dict[str, Fixture] = {}


def fixture(zero: tuple[str, ...] | str, *mentions: str, memory_heavy: bool = False):
    def register(build: Callable[[Path, Context], Path]) -> Callable[[Path, Context], Path]:
        name = build.__name__
        FIXTURES[name] = Fixture(name, build, MODULES if zero == "all" else tuple(zero), mentions, memory_heavy)
        return build

    return register


def reference(folder: Path, ctx: Context, skip: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for module in MODULES:
        if module not in skip:
            shutil.copy(ctx.root / "solutions" / f"{module}.py", folder / f"{module}.py")
    return folder


# -- links -------------------------------------------------------------------------------
@fixture(("train",), "train.py", LINK)
def link_to_secret(folder: Path, ctx: Context) -> Path:
    reference(folder, ctx, skip=("train",))
    os.symlink(ctx.secret_file, folder / "train.py")
    return folder


@fixture(("engine",), "engine.py", LINK)
def link_to_environ(folder: Path, ctx: Context) -> Path:
    """/proc/self/environ, read by the grader, would be the grader's environment (its secret)."""
    reference(folder, ctx, skip=("engine",))
    os.symlink("/proc/self/environ", folder / "engine.py")
    return folder


@fixture("all", "micrograd_skeleton", LINK)
def link_to_classmate(folder: Path, ctx: Context) -> Path:
    folder.mkdir(parents=True)
    os.symlink(os.path.relpath(ctx.classmate / "micrograd_skeleton", folder), folder / "micrograd_skeleton")
    return folder


@fixture("all", LINK)
def link_to_parent(folder: Path, ctx: Context) -> Path:
    """``up -> ..``: a walk that follows it sees every classmate (and loops)."""
    folder.mkdir(parents=True)
    os.symlink("..", folder / "up")
    os.symlink(".", folder / "here")
    return folder


@fixture("all", LINK)
def link_to_solutions(folder: Path, ctx: Context) -> Path:
    folder.mkdir(parents=True)
    os.symlink(ctx.root / "solutions", folder / "micrograd_skeleton")
    return folder


@fixture(("nn",), "nn.py", LINK)
def link_folder_in_path(folder: Path, ctx: Context) -> Path:
    """A real micrograd_skeleton/ whose nn.py is reached through a linked folder."""
    package = reference(folder / "micrograd_skeleton", ctx, skip=("nn",))
    (folder / "elsewhere").mkdir()
    os.symlink(ctx.classmate / "micrograd_skeleton", folder / "elsewhere" / "pkg")
    os.symlink("../elsewhere/pkg/nn.py", package / "nn.py")
    return folder


@fixture(("engine",), "engine.py", "hard link")
def hard_link_to_secret(folder: Path, ctx: Context) -> Path:
    reference(folder, ctx, skip=("engine",))
    os.link(ctx.secret_file, folder / "engine.py")
    return folder


# -- special files -------------------------------------------------------------------------
@fixture(("engine",), "engine.py", "named pipe")
def fifo_module(folder: Path, ctx: Context) -> Path:
    """Opening a fifo for reading blocks until someone writes: the grader must not hang."""
    reference(folder, ctx, skip=("engine",))
    os.mkfifo(folder / "engine.py")
    return folder


@fixture(("engine",), "engine.py", "device")
def device_module(folder: Path, ctx: Context) -> Path:
    """A character device (/dev/zero's numbers) named engine.py: endless bytes."""
    reference(folder, ctx, skip=("engine",))
    os.mknod(folder / "engine.py", stat.S_IFCHR | 0o644, os.makedev(1, 5))
    return folder


@fixture(("nn",), "nn.py", "socket")
def socket_module(folder: Path, ctx: Context) -> Path:
    reference(folder, ctx, skip=("nn",))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "nn.py"))
    server.close()  # the socket file stays
    return folder


# -- archives ------------------------------------------------------------------------------
def _tree_with_links(top: Path, ctx: Context) -> Path:
    package = reference(top / "repo" / "micrograd_skeleton", ctx, skip=("engine",))
    os.symlink(ctx.secret_file, package / "engine.py")
    os.symlink(ctx.classmate / "micrograd_skeleton" / "nn.py", package / "notes.txt")
    return top / "repo"


@fixture(("engine",), "engine.py", LINK)
def links_in_zip(folder: Path, ctx: Context) -> Path:
    folder.mkdir(parents=True)
    repo = _tree_with_links(folder.parent / f"{folder.name}-src", ctx)
    with zipfile.ZipFile(folder / "submission.zip", "w") as archive:
        for path in sorted(repo.rglob("*")):
            info = zipfile.ZipInfo(str(path.relative_to(repo)))
            if path.is_symlink():
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, os.readlink(path))
            elif path.is_file():
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                archive.writestr(info, path.read_bytes())
        evil = zipfile.ZipInfo("../../escaped.py")  # a name that climbs out of the archive
        archive.writestr(evil, "print('escaped')")
    shutil.rmtree(repo.parent)
    return folder


@fixture(("engine", "train"), "engine.py", LINK, "hard link")
def links_in_tar(folder: Path, ctx: Context) -> Path:
    folder.mkdir(parents=True)
    repo = _tree_with_links(folder.parent / f"{folder.name}-src", ctx)
    with tarfile.open(folder / "submission.tar.gz", "w:gz") as archive:
        archive.add(repo, arcname=".")
        hard = tarfile.TarInfo("micrograd_skeleton/train.py")  # replaced by a hard link to the secret
        hard.type, hard.linkname = tarfile.LNKTYPE, str(ctx.secret_file)
        archive.addfile(hard)
        device = tarfile.TarInfo("micrograd_skeleton/zero")
        device.type, device.devmajor, device.devminor = tarfile.CHRTYPE, 1, 5
        archive.addfile(device)
    shutil.rmtree(repo.parent)
    return folder


@fixture("all", "unpacks to more than", memory_heavy=True)
def zip_bomb(folder: Path, ctx: Context) -> Path:
    """A few kB of zip that unpacks to gigabytes."""
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "submission.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("micrograd_skeleton/engine.py", "w", force_zip64=True) as member:
            block = b"#" * (1 << 20)
            for _ in range(2048):
                member.write(block)
    return folder


# -- notebooks -----------------------------------------------------------------------------
@fixture("all", LINK, memory_heavy=True)
def notebook_linked_to_dev_zero(folder: Path, ctx: Context) -> Path:
    folder.mkdir(parents=True)
    os.symlink("/dev/zero", folder / "value_engine.ipynb")
    return folder


@fixture("all", "larger than", memory_heavy=True)
def huge_notebook(folder: Path, ctx: Context) -> Path:
    folder.mkdir(parents=True)
    padding = "x" * (1 << 20)
    cells = [{"cell_type": "markdown", "metadata": {}, "source": padding} for _ in range(40)]
    (folder / "value_engine.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    return folder


@fixture("all")
def notebook_cells_null(folder: Path, ctx: Context) -> Path:
    folder.mkdir(parents=True)
    (folder / "value_engine.ipynb").write_text('{"cells": null, "metadata": {}, "nbformat": 4}')
    (folder / "neural_net.ipynb").write_text('{"cells": [null, 3, {"cell_type": "code", "source": [1, null]}]}')
    return folder


@fixture("all", memory_heavy=True)
def notebook_nested_json(folder: Path, ctx: Context) -> Path:
    folder.mkdir(parents=True)
    (folder / "value_engine.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    return folder


# -- shapes of the tree ----------------------------------------------------------------------
def remove_deep(folder: Path) -> None:
    """Remove a ``deep_folders`` chain bottom-up (shutil.rmtree recurses, and overflows on it)."""
    fds = [os.open(folder, os.O_RDONLY | os.O_DIRECTORY)]
    try:
        while True:
            try:
                fds.append(os.open("d", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fds[-1]))
            except FileNotFoundError:
                break
        for level in range(len(fds) - 1, 0, -1):
            for entry in os.scandir(fds[level]):
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.name, dir_fd=fds[level])
            os.rmdir("d", dir_fd=fds[level - 1])
    finally:
        for fd in fds:
            os.close(fd)


@fixture("all", "deeper than")
def deep_folders(folder: Path, ctx: Context) -> Path:
    """1,000 nested folders with engine.py at the bottom (a recursive walk overflows)."""
    folder.mkdir(parents=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(1000):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with os.fdopen(os.open("engine.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            fd = -1
            f.write((ctx.root / "solutions" / "engine.py").read_text())
    finally:
        if fd >= 0:
            os.close(fd)
    return folder


@fixture((), "first 5000 entries")
def wide_folder(folder: Path, ctx: Context) -> Path:
    """The modules, and 20,000 empty files beside them."""
    reference(folder / "micrograd_skeleton", ctx)
    junk = folder / "junk"
    junk.mkdir()
    for i in range(20_000):
        (junk / f"f{i:05}.txt").touch()
    return folder


# -- sources -------------------------------------------------------------------------------
@fixture(("engine",), "nested too deeply")
def nested_unary_minus(folder: Path, ctx: Context) -> Path:
    reference(folder, ctx)
    with open(folder / "engine.py", "a") as f:
        f.write("\nx = " + "-" * 100_000 + "1\n")
    return folder


@fixture(("engine",), "utf-7")
def utf7_hides_torch(folder: Path, ctx: Context) -> Path:
    """A PEP 263 cookie: to a UTF-8 reader the import is a comment, to Python it is code."""
    reference(folder, ctx)
    source = (folder / "engine.py").read_text()
    (folder / "engine.py").write_text("# -*- coding: utf-7 -*-\n" + source + "\n#+AAo-import torch\n")
    return folder


@fixture(("nn",), "UTF-8")
def not_utf8(folder: Path, ctx: Context) -> Path:
    reference(folder, ctx)
    (folder / "nn.py").write_bytes(b"# caf\xe9\n" + (folder / "nn.py").read_bytes())
    return folder


@fixture(("train",), "larger than")
def huge_module(folder: Path, ctx: Context) -> Path:
    reference(folder, ctx)
    with open(folder / "train.py", "a") as f:
        f.write(("# " + "x" * 1000 + "\n") * 2000)
    return folder
