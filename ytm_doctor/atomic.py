"""Atomic file writes: temp file in the same directory -> fsync -> rename (-> fsync the dir).

`write_at`, `create_atomic` and `write_atomic` write relative to the directory held open
(ytm_doctor.anchor): the temp file and the rename stay in the directory that was there when the
write began, and a directory moved or replaced by a link meanwhile refuses the write
(ParentChanged) and keeps no temp file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ytm_doctor.anchor import Anchor, parent_of
from ytm_doctor.temps import temp_name


def write_atomic(path: str | os.PathLike, data: bytes | str, mode: int = 0o644) -> None:
    """Replace `path` with `data` so a reader sees the old file or the new one, never half."""
    with parent_of(path) as (anchor, name):
        write_at(anchor, name, data, mode, replace=True)


def write_at(
    anchor: Anchor, name: str, data: bytes | str, mode: int = 0o644, *, replace: bool = False
) -> None:
    """Write `data` as `name` in the directory held by `anchor`: a temp file beside it, fsync,
    then its name given only while that directory is still the one at its path. Without
    `replace` nothing there is replaced (FileExistsError)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = temp_name(name)
    fd = anchor.open_file(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)  # exactly `mode`, whatever the umask
            os.fsync(fh.fileno())
        anchor.publish(tmp, name, replace=replace)
    finally:
        with contextlib.suppress(OSError):
            anchor.unlink(tmp)  # refused or failed (published: the name is gone already)
    anchor.fsync()


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike, mode: int = 0o644, *, binary: bool = False
) -> Iterator[IO]:
    """A file to write `path` through, streamed: it replaces `path` atomically (temp file in the
    same directory, fsync, rename, fsync of the directory) when the block ends without an
    error, and vanishes otherwise."""
    target = Path(path)
    tmp = os.fspath(target.parent / temp_name(target.name))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(
            fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})
        ) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename durable; some filesystems (SMB) refuse, which is harmless."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def create_atomic(path: str | os.PathLike, data: bytes | str, mode: int = 0o644) -> None:
    """Create `path` with `data`, all or nothing; refuses (FileExistsError) to replace anything."""
    with parent_of(path) as (anchor, name):
        write_at(anchor, name, data, mode)
