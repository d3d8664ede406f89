"""Atomic file writes: temp file in the same directory -> fsync -> rename (-> fsync the dir)."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def write_atomic(path: str | os.PathLike, data: bytes | str, mode: int = 0o644) -> None:
    """Replace `path` with `data` so a reader sees the old file or the new one, never half."""
    with atomic_writer(path, mode, binary=True) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike, mode: int = 0o644, *, binary: bool = False
) -> Iterator[IO]:
    """A file to write `path` through, streamed: it replaces `path` atomically (temp file in the
    same directory, fsync, rename, fsync of the directory) when the block ends without an
    error, and vanishes otherwise."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
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
    target = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        publish_new(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_dir(target.parent)


def publish_new(tmp: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Give the finished temp file `tmp` the name `dest`, never replacing anything there
    (FileExistsError instead). A hard link refuses atomically; where there are none (some SMB
    servers) `dest` is checked, then `tmp` renamed: the window is tiny."""
    try:
        os.link(tmp, dest)  # fails with EEXIST instead of replacing
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(dest):
            raise FileExistsError(errno.EEXIST, "already exists", os.fspath(dest)) from None
        os.rename(tmp, dest)
        return
    # `dest` is in place: a temp name left behind is litter, not a failed write.
    with contextlib.suppress(OSError):
        os.unlink(tmp)
