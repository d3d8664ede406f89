"""Hashing files the way the fix engine trusts them: links never followed, a file that changes
while it is read refused, and a run's hashes reused only while the file is provably unchanged.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass

CHUNK = 8 * 1024 * 1024  # large reads keep hashlib (which releases the GIL) busy
# O_NOFOLLOW (0 where the platform has none): hashing a link fails instead of reading its
# target, or a link to a stored copy would pass for a second copy of its bytes (undo of a store
# then removed the copy a later --symlink-back link pointed at).
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class CopyError(OSError):
    """The copy cannot be trusted (or the source is not what the plan expected); nothing was
    placed under the final name."""


@dataclass(frozen=True)
class FileSig:
    """What changes whenever a file's bytes change (short of deliberate forgery): a hash taken
    while the signature was this one still holds while it is."""

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileSig:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def sha256_of(path: str, chunk: int = CHUNK) -> tuple[str, FileSig]:
    """The file's SHA-256 and its signature while read (links are not followed)."""
    fd = os.open(path, os.O_RDONLY | NOFOLLOW)
    try:
        before = FileSig.of(os.fstat(fd))
        digest, _ = _hash_fd(fd, chunk)
        after = FileSig.of(os.fstat(fd))
    finally:
        os.close(fd)
    if after != before:
        raise CopyError(errno.EAGAIN, "the file changed while it was being read", path)
    return digest, after


def _hash_fd(fd: int, chunk: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    buffer = memoryview(bytearray(chunk))
    while n := read_into(fd, buffer):
        digest.update(buffer[:n])
        size += n
    return digest.hexdigest(), size


def read_into(fd: int, buffer: memoryview, offset: int | None = None) -> int:
    """Read into a buffer that is reused: allocating a fresh one per chunk would make the
    kernel fault in and zero a gigabyte of memory for a gigabyte copied."""
    if offset is None:
        return os.readv(fd, [buffer])
    if hasattr(os, "preadv"):
        return os.preadv(fd, [buffer], offset)
    data = os.pread(fd, len(buffer), offset)  # macOS before 11 has no preadv
    buffer[: len(data)] = data
    return len(data)


class HashCache:
    """Hashes taken during one run, reused while the file's signature is unchanged."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[FileSig, str]] = {}

    def remember(self, path: str, sig: FileSig, sha256: str) -> None:
        self._known[os.path.normpath(path)] = (sig, sha256)

    def recorded(self, path: str) -> str | None:
        """The hash this run verified for `path` (e.g. the copy it made), if any."""
        known = self._known.get(os.path.normpath(path))
        return known[1] if known else None

    def sha256(self, path: str, *, fresh: bool = False) -> str:
        """The file's SHA-256: from this run's earlier reading when the file is unchanged since,
        or read now (always read with `fresh`)."""
        key = os.path.normpath(path)
        if not fresh and key in self._known:
            sig, digest = self._known[key]
            if FileSig.of(os.lstat(path)) == sig:
                return digest
        digest, sig = sha256_of(path)
        self._known[key] = (sig, digest)
        return digest


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 of what `path` holds (hashlib.file_digest needs Python 3.11; we support 3.10)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
