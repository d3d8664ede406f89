"""Copies that can be trusted (SPEC §6.2, seed 000 §5): one pass that copies and hashes, the
copy re-read and compared with the source's hash, and fsynced, before it takes its final name.

The re-read of each chunk runs beside the copy of the next one, in threads (hashlib, reads and
writes release the GIL): on two cores the copy and its verification then cost about one hashing
of the file, which is what keeps `store` of a large file well under `cp` + `sha256sum` (SPEC
§9). The re-read goes through its own descriptor to what the filesystem returns for the copy,
exactly what a re-read after the whole copy would get (on a local disk, the page cache either
way).

The copy is written under a hidden temp name in the destination's directory, so an interrupted
copy (a crash, SIGKILL, a share that drops) never leaves a partial file under the final name.
That directory is held open for the whole copy (ytm_doctor.anchor): the temp file is made and
renamed relative to it, and a directory moved or replaced by a link mid-copy refuses the copy.
The temp name carries the host and pid, so a later copy to the same destination removes the
leftovers of a dead process of this host and never those of a live one or of another host.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ytm_doctor import temps
from ytm_doctor.anchor import Anchor, parent_of
from ytm_doctor.hashing import CHUNK, NOFOLLOW, CopyError, FileSig, read_into
from ytm_doctor.temps import TEMP_MARK, host_tag, is_temp_name, temp_name  # noqa: F401 (re-exported)

_FADV_DONTNEED = getattr(os, "POSIX_FADV_DONTNEED", None) if hasattr(os, "posix_fadvise") else None


@dataclass(frozen=True)
class Copied:
    sha256: str
    size: int
    mtime_ns: int  # of the copy under its final name
    source: FileSig  # of the source while it was read


def stale_temps(into: Anchor, name: str) -> list[str]:
    """Temp files of `name` in `into` left by processes of this host that are gone."""
    try:
        return temps.stale_temps(into.names(), name)
    except OSError:
        return []


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _reread(fd: int, offset: int, size: int, digest: Any, buffer: memoryview) -> int:
    """Hash `size` bytes of the copy from `offset` as the filesystem returns them now."""
    done = 0
    while done < size:
        n = read_into(fd, buffer[: size - done], offset + done)
        if not n:
            break
        digest.update(buffer[:n])
        done += n
    if _FADV_DONTNEED is not None:
        # Checked: let the kernel start writing this range to disk now, so that the fsync at
        # the end has little left to wait for (Linux; a hint other systems may ignore).
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, offset, size, _FADV_DONTNEED)
    return done


def _copy_hash_verify(
    fd_in: int, fd_out: int, fd_check: int, chunk: int
) -> tuple[str, int, str, int]:
    """One pass over the source: each chunk is hashed here while a thread writes it, and a
    second thread re-reads the chunk written before it from the copy and hashes that. All three
    release the GIL, so on two cores the copy and its verification cost about one hashing of
    the file. Three buffers are reused throughout: two for the source (one being written while
    the next is read) and one for the re-read. Returns (source sha256, bytes read, copy sha256,
    bytes re-read)."""
    source = hashlib.sha256()
    copy = hashlib.sha256()
    size = reread = 0
    buffers = [memoryview(bytearray(chunk)) for _ in range(2)]
    check_buffer = memoryview(bytearray(chunk))
    with ThreadPoolExecutor(2, thread_name_prefix="ytm-store") as pool:
        writing = checking = None
        previous: tuple[int, int] | None = None  # (offset, length) written, not yet re-read
        turn = 0
        while n := read_into(fd_in, buffers[turn]):
            data = buffers[turn][:n]
            if writing is not None:
                writing.result()  # the other buffer is free again
            if checking is not None:
                reread += checking.result()
            if previous is not None:
                checking = pool.submit(_reread, fd_check, *previous, copy, check_buffer)
            writing = pool.submit(_write_all, fd_out, data)
            source.update(data)
            previous = (size, n)
            size += n
            # The next read fills the other buffer, whose write was waited for above.
            turn = 1 - turn
        if writing is not None:
            writing.result()
        if checking is not None:
            reread += checking.result()
        if previous is not None:
            reread += _reread(fd_check, *previous, copy, check_buffer)
    if os.pread(fd_check, 1, size):
        reread += 1  # the copy is longer than what was written
    return source.hexdigest(), size, copy.hexdigest(), reread


def copy_verified(
    src: str,
    dest: str,
    *,
    into: Anchor | None = None,
    expected_sha256: str | None = None,
    replace_link: bool = False,
    chunk: int = CHUNK,
) -> Copied:
    """Copy `src` to `dest` and return what was verified.

    One pass reads the source once, writes a hidden temp file beside `dest` and hashes; every
    chunk, once written, is re-read from the temp file through a second descriptor and hashed
    (alongside the copy of the next chunk). Only when the copy is non-empty, reads back whole
    with the source's SHA-256 (and `expected_sha256`, when given) and is fsynced does it take
    the final name. `dest` must not exist, or with `replace_link` must be a symlink, which the
    copy then replaces atomically. Raises CopyError (an OSError) when the copy cannot be
    trusted; the temp file is then removed (a killed process leaves it for stale_temps).

    The temp file is made and renamed relative to `into`, the directory of `dest` held open
    (opened here when not given): a directory moved or replaced by a link during the copy
    gets neither the copy nor its temp file (ParentChanged).

    Long because the three descriptors (source, temp, re-read) and the checks between them
    share one lifetime: split up, a path could escape the `finally` that closes and cleans.
    """
    if into is None:
        with parent_of(dest) as (anchor, _):
            return copy_verified(
                src,
                dest,
                into=anchor,
                expected_sha256=expected_sha256,
                replace_link=replace_link,
                chunk=chunk,
            )
    name = os.path.basename(dest)
    _check_dest(into, name, dest, replace_link)
    for leftover in stale_temps(into, name):
        with contextlib.suppress(OSError):
            into.unlink(leftover)
    fd_in = os.open(src, os.O_RDONLY | NOFOLLOW)
    tmp = None
    try:
        st_in = os.fstat(fd_in)
        if not stat.S_ISREG(st_in.st_mode):
            raise CopyError(errno.EINVAL, "not a regular file", src)
        tmp = temp_name(name)
        fd_out = into.open_file(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            fd_check = into.open_file(tmp, os.O_RDONLY)
            try:
                digest, size, check_sha, check_size = _copy_hash_verify(
                    fd_in, fd_out, fd_check, chunk
                )
            finally:
                os.close(fd_check)
            source = FileSig.of(os.fstat(fd_in))
            if source != FileSig.of(st_in) or size != st_in.st_size:
                raise CopyError(errno.EAGAIN, "the source changed while it was being copied", src)
            if size == 0:
                raise CopyError(errno.EINVAL, "the source is empty: never stored", src)
            if expected_sha256 and digest != expected_sha256:
                raise CopyError(
                    errno.EIO,
                    f"the source's SHA-256 is {digest}, not the expected {expected_sha256}",
                    src,
                )
            if check_size != size or check_sha != digest:
                raise CopyError(
                    errno.EIO,
                    f"the copy reads back as {check_size} bytes with SHA-256 {check_sha}, "
                    f"not {size} bytes with {digest}",
                    dest,
                )
            os.utime(fd_out if os.utime in os.supports_fd else into.join(tmp), ns=_times(st_in))
            os.fsync(fd_out)
            if FileSig.of(os.fstat(fd_out)).size != size:
                raise CopyError(errno.EIO, "the copy changed size while it was verified", dest)
        finally:
            os.close(fd_out)
        _place(into, tmp, name, dest, replace_link)
        tmp = None
        into.fsync()
        return Copied(digest, size, into.lstat(name).st_mtime_ns, source)
    finally:
        os.close(fd_in)
        if tmp is not None:
            with contextlib.suppress(OSError):
                into.unlink(tmp)


def _times(st: os.stat_result) -> tuple[int, int]:
    return (st.st_atime_ns, st.st_mtime_ns)


def _check_dest(into: Anchor, name: str, dest: str, replace_link: bool) -> None:
    try:
        st = into.lstat(name)
    except FileNotFoundError:
        return
    if not replace_link:
        raise FileExistsError(errno.EEXIST, "already exists", dest)
    if not stat.S_ISLNK(st.st_mode):
        raise FileExistsError(errno.EEXIST, "exists and is not a symlink", dest)


def _place(into: Anchor, tmp: str, name: str, dest: str, replace_link: bool) -> None:
    """Give the verified temp file its final name, never replacing anything but the expected
    symlink, and only while `into` is still the directory at dest's path."""
    if replace_link:
        _check_dest(into, name, dest, True)
    into.publish(tmp, name, replace=replace_link)
