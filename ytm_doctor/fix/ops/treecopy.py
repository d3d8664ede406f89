"""Copying a file or a tree into a directory held open (ytm_doctor.anchor).

Every entry of the copy is made relative to its parent's descriptor, never through a path, so
a directory swapped for a link mid-copy cannot send the rest of the copy elsewhere; the copy's
own directories are opened without following links. The manifest undo compares with is taken
from the bytes as they are written (a re-read by path could read through a swapped link).
"""

from __future__ import annotations

import hashlib
import os
import stat
from typing import Any

from ytm_doctor.anchor import NOFOLLOW, Anchor

_BLOCK = 1 << 20


def copy_into(source: str, into: Anchor, name: str) -> list[list[Any]]:
    """Copy `source` (a file, or a directory and everything below it, links as links; a link
    at `source` itself is followed) as `name` in `into`. Returns its manifest: [rel, kind, size
    or link target, sha256 of files], sorted, "." for a single file."""
    if not os.path.isdir(source):
        size, digest = _copy_file(source, into, name, follow=True, durable=True)
        return [[".", "file", size, digest]]
    items: list[list[Any]] = []
    _copy_dir(source, into, name, "", items)
    return sorted(items)


def tree_bytes(source: str) -> int:
    """The bytes a copy of `source` writes: the sizes of its files (a link at `source` itself
    is followed, links below it are copied as links and take no space)."""
    if not os.path.isdir(source):
        return os.stat(source).st_size
    total = 0
    for dirpath, _dirnames, filenames in os.walk(source):  # never descends through a link
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


def _copy_dir(source: str, into: Anchor, name: str, rel: str, items: list[list[Any]]) -> None:
    into.mkdir(name, 0o700)  # its own mode once filled, as copytree leaves it
    with into.child(name) as sub:
        with os.scandir(source) as listing:
            entries = list(listing)
        for entry in entries:
            entry_rel = os.path.join(rel, entry.name) if rel else entry.name
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                target = os.readlink(entry.path)
                sub.symlink(target, entry.name)
                items.append([entry_rel, "link", target])
            elif stat.S_ISDIR(mode):
                items.append([entry_rel, "dir", 0])
                _copy_dir(entry.path, sub, entry.name, entry_rel, items)
            elif stat.S_ISREG(mode):
                size, digest = _copy_file(entry.path, sub, entry.name)
                items.append([entry_rel, "file", size, digest])
            else:
                raise OSError(f"{entry.path}: not a file, directory or link; not copied")
        _copy_stat(os.stat(source), sub.fd)


def _copy_file(
    source: str, into: Anchor, name: str, *, follow: bool = False, durable: bool = False
) -> tuple[int, str]:
    """Copy one file's bytes, mode and times; returns (size, sha256) of what was written."""
    fd_in = os.open(source, os.O_RDONLY | (0 if follow else NOFOLLOW))
    try:
        fd_out = into.open_file(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            digest = hashlib.sha256()
            size = 0
            while block := os.read(fd_in, _BLOCK):
                view = memoryview(block)
                while view:
                    view = view[os.write(fd_out, view) :]
                digest.update(block)
                size += len(block)
            _copy_stat(os.fstat(fd_in), fd_out)
            if durable:  # a single file is fsynced, as the copy of one always was
                os.fsync(fd_out)
        finally:
            os.close(fd_out)
    finally:
        os.close(fd_in)
    return size, digest.hexdigest()


def _copy_stat(st: os.stat_result, fd: int) -> None:
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
    if os.utime in os.supports_fd:
        os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
