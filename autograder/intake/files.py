"""Reading a submission's files, which are as untrusted as its code.

A submission folder may hold symbolic links (to the grader's secret, to
``/proc/self/environ``, to a classmate's folder or to ``solutions/``), hard
links, fifos, device files, sockets, absurdly deep or wide trees and huge
files.  Everything here reads it without following a link anywhere in a
path (each component is opened relative to its parent with ``O_NOFOLLOW``),
only regular files with a single link, and a bounded number of bytes.
An archive (``.zip``, ``.tar``, ``.tar.gz``, ...) is read the same way, in
memory: only its regular members, never extracted, with caps on their count
and size.  What is refused is recorded with the reason, so the result can
name it.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from micrograd_feedback.untrusted import shown

MAX_DEPTH = 8  # folders below the submission's root that are looked at
MAX_ENTRIES = 5_000  # directory entries (or archive members) looked at in all
MAX_ARCHIVE_BYTES = 64 << 20  # what an archive's members may unpack to, in all
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
# Folders that never hold graded code: not descended into (nor reported).
SKIPPED = frozenset({".git", "__pycache__", ".ipynb_checkpoints", "__MACOSX", "node_modules", ".venv", "venv"})
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class RefusedFile(Exception):
    """A file the grader will not read; the message says why (naming the file)."""


@dataclass
class Tree:
    """What a submission folder holds: its regular files and what was refused, by relative path."""

    root: Path
    files: dict[PurePosixPath, int] = field(default_factory=dict)  # path -> size in bytes
    dirs: set[PurePosixPath] = field(default_factory=set)
    refused: dict[PurePosixPath, str] = field(default_factory=dict)  # path -> why it is not read
    incomplete: str = ""  # why part of the tree was not looked at, if it was not

    members: dict[PurePosixPath, bytes] | None = None  # an archive's regular members, read already

    def notes(self) -> list[str]:
        """One line per refused entry (and for an incomplete scan), for the result."""
        lines = [f"{shown(path)}: {why}" for path, why in sorted(self.refused.items())]
        return lines + ([self.incomplete] if self.incomplete else [])

    def read(self, relative: PurePosixPath, cap: int) -> bytes:
        """The bytes of one regular file of the tree (``RefusedFile`` if it cannot be read)."""
        if self.members is None:
            return read_bytes(self.root, relative, cap)
        data = self.members.get(PurePosixPath(relative))
        if data is None:
            raise RefusedFile(f"{shown(relative)}: not a file of {shown(self.root.name)}")
        if len(data) > cap:
            raise RefusedFile(f"{shown(relative)} is larger than {_size(cap)}")
        return data


def kind_of(mode: int, links: int = 1) -> str | None:
    """Why an entry with this ``lstat`` mode is refused, or None for a readable regular file."""
    if stat.S_ISLNK(mode):
        return "a symbolic link: the grader does not follow links (submit the file itself)"
    if stat.S_ISREG(mode):
        return None if links == 1 else "a hard link to another file: submit a copy of the file itself"
    if stat.S_ISFIFO(mode):
        return "a named pipe, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    return "not a regular file"


def scan(root: str | os.PathLike, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES) -> Tree:
    """Every regular file and folder under ``root`` (not following links), iteratively."""
    tree = Tree(Path(root))
    seen = 0
    try:
        top = os.open(root, _DIRECTORY)
    except OSError as error:
        tree.incomplete = f"the submission folder is {_why_not_folder(error)}"
        return tree
    stack: list[tuple[int, PurePosixPath, int]] = [(top, PurePosixPath(), 0)]
    try:
        while stack:
            fd, relative, depth = stack.pop()
            try:
                with os.scandir(fd) as entries:
                    listed = sorted(entries, key=lambda e: e.name)
            except OSError:
                os.close(fd)
                continue
            for entry in listed:
                seen += 1
                if seen > max_entries:
                    tree.incomplete = f"only the first {max_entries} entries of the submission were looked at"
                    break
                path = relative / entry.name
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    if entry.name in SKIPPED:
                        continue
                    if depth + 1 > max_depth:
                        tree.incomplete = f"folders deeper than {max_depth} levels were not looked at"
                        continue
                    try:
                        child = os.open(entry.name, _DIRECTORY, dir_fd=fd)
                    except OSError:
                        tree.refused[path] = "a folder that cannot be opened"
                        continue
                    tree.dirs.add(path)
                    stack.append((child, path, depth + 1))
                    continue
                why = kind_of(info.st_mode, info.st_nlink)
                if why:
                    tree.refused[path] = why
                else:
                    tree.files[path] = info.st_size
            os.close(fd)
            if seen > max_entries:
                break
    finally:
        for fd, _, _ in stack:
            os.close(fd)
    return tree


def read_bytes(root: str | os.PathLike, relative: str | PurePosixPath, cap: int) -> bytes:
    """The bytes of the regular file ``root/relative``; at most ``cap`` (more raises).

    No component of ``relative`` may be a link; ``root`` itself is taken as given
    (the caller named it).  Raises ``RefusedFile`` with a reason naming the file.
    """
    parts = PurePosixPath(relative).parts
    name = shown(PurePosixPath(relative))  # as the messages name it
    if not parts or any(p in ("..", "/") for p in parts):
        raise RefusedFile(f"{name}: not a path inside the submission")
    fds = []
    try:
        fds.append(os.open(root, _DIRECTORY))
        for part in parts[:-1]:
            try:
                fds.append(os.open(part, _DIRECTORY, dir_fd=fds[-1]))
            except OSError as error:
                raise RefusedFile(f"{name}: its folder {shown(part)} is {_why_not_folder(error)}") from None
        try:
            info = os.lstat(parts[-1], dir_fd=fds[-1])
        except OSError as error:
            raise RefusedFile(f"{name}: cannot be read ({error.strerror})") from None
        why = kind_of(info.st_mode, info.st_nlink)
        if why:
            raise RefusedFile(f"{name} is {why}")
        try:
            fd = os.open(parts[-1], _FILE, dir_fd=fds[-1])
        except OSError as error:
            raise RefusedFile(f"{name}: cannot be read ({error.strerror})") from None
        fds.append(fd)
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino) or kind_of(opened.st_mode, opened.st_nlink):
            raise RefusedFile(f"{name} changed while it was being read")
        chunks, size = [], 0
        while size <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            raise RefusedFile(f"{name} is larger than {_size(cap)}")
        return b"".join(chunks)
    except OSError as error:
        raise RefusedFile(f"{name}: cannot be read ({error.strerror})") from None
    finally:
        for fd in fds:
            os.close(fd)


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def scan_archive(path: str | os.PathLike, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES) -> Tree:
    """The regular members of a zip or tar archive, read into memory (never extracted).

    Links, devices and fifos among the members are refused like their counterparts
    in a folder; so are absolute names and names with ``..``.  The archive file
    itself is opened as any submission file (no link, a regular file).
    """
    path = Path(path)
    try:
        data = read_path(path, MAX_ARCHIVE_BYTES)
    except RefusedFile as error:
        return Tree(path, members={}, incomplete=str(error))
    return archive_tree(path, data, max_depth, max_entries)


def archive_tree(path: Path, data: bytes, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES) -> Tree:
    """``scan_archive`` for an archive already read (``path`` names it)."""
    import io

    tree = Tree(path, members={})
    budget = [MAX_ARCHIVE_BYTES]
    try:
        if path.name.lower().endswith(".zip"):
            _zip_members(zipfile.ZipFile(io.BytesIO(data)), tree, budget, max_depth, max_entries)
        else:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
                _tar_members(archive, tree, budget, max_depth, max_entries)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, NotImplementedError, RuntimeError,
            ValueError, KeyError) as error:
        tree.incomplete = f"{shown(path.name)} could not be read as an archive ({type(error).__name__})"
    return tree


def _member_path(name: str, tree: Tree, max_depth: int) -> PurePosixPath | None:
    """A member's name as a path inside the archive, or None (recorded as refused) if it is not one."""
    relative = PurePosixPath(name.replace("\\", "/"))
    if not relative.parts:  # "." or "": the archive's own top folder
        return None
    if relative.is_absolute() or ".." in relative.parts:
        tree.refused[PurePosixPath(name[:100])] = "a name that points outside the archive"
        return None
    if any(part in SKIPPED for part in relative.parts):
        return None
    if len(relative.parts) > max_depth + 1:
        tree.incomplete = f"members deeper than {max_depth} levels were not looked at"
        return None
    return relative


def _keep(tree: Tree, relative: PurePosixPath, data: bytes) -> None:
    assert tree.members is not None  # an archive's tree
    tree.members[relative] = data
    tree.files[relative] = len(data)
    tree.dirs.update(p for p in relative.parents if p != PurePosixPath())


def _zip_members(archive: zipfile.ZipFile, tree: Tree, budget: list[int], max_depth: int, max_entries: int) -> None:
    for count, info in enumerate(archive.infolist()):
        if count >= max_entries:
            tree.incomplete = f"only the first {max_entries} members of the archive were looked at"
            return
        relative = _member_path(info.filename, tree, max_depth)
        if relative is None or info.is_dir():
            continue
        mode = info.external_attr >> 16  # Unix file type and permissions, where the archiver set them
        why = kind_of(mode) if stat.S_IFMT(mode) not in (0, stat.S_IFREG) else None
        if why:
            tree.refused[relative] = why
            continue
        with archive.open(info) as member:  # count what really comes out, not what the archive claims
            data = member.read(budget[0] + 1)
        budget[0] -= len(data)
        if budget[0] < 0:
            tree.incomplete = f"the archive unpacks to more than {_size(MAX_ARCHIVE_BYTES)}: the rest was not read"
            return
        _keep(tree, relative, data)


def _tar_members(archive: tarfile.TarFile, tree: Tree, budget: list[int], max_depth: int, max_entries: int) -> None:
    for count, info in enumerate(archive):
        if count >= max_entries:
            tree.incomplete = f"only the first {max_entries} members of the archive were looked at"
            return
        relative = _member_path(info.name, tree, max_depth)
        if relative is None or info.isdir():
            continue
        if not info.isreg():
            tree.refused[relative] = (
                "a symbolic link: the grader does not follow links (submit the file itself)" if info.issym()
                else "a hard link to another file: submit a copy of the file itself" if info.islnk()
                else "a named pipe, not a file" if info.isfifo()
                else "a device, not a file" if info.ischr() or info.isblk() else "not a regular file")
            continue
        member = archive.extractfile(info)
        data = member.read(budget[0] + 1) if member is not None else b""
        budget[0] -= len(data)
        if budget[0] < 0:
            tree.incomplete = f"the archive unpacks to more than {_size(MAX_ARCHIVE_BYTES)}: the rest was not read"
            return
        _keep(tree, relative, data)


def read_path(path: str | os.PathLike, cap: int) -> bytes:
    """``read_bytes`` for a file named by its own path (its folder is taken as given)."""
    path = Path(path)
    return read_bytes(path.parent, path.name, cap)


def _why_not_folder(error: OSError) -> str:
    if error.errno in (errno.ELOOP, errno.ENOTDIR):
        return "a symbolic link or not a folder: the grader does not follow links"
    return f"not readable ({error.strerror})"


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n / 1024:g} KiB"
