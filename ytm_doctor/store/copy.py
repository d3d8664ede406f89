"""Copies that can be trusted (SPEC §6.2, seed 000 §5): one pass that copies and hashes, the
copy re-read and compared byte for byte with what was written, and fsynced, before it takes its
final name.

The re-read of each chunk runs beside the copy of the next one, in threads (hashlib, reads and
writes release the GIL), and is compared with the source's chunk still in memory: a copy equal
byte for byte to the bytes whose SHA-256 was taken has that SHA-256, so the data is hashed once,
not twice. On two cores the copy and its verification then cost about one hashing of the file,
which is what keeps `store` of a large file well under `cp` + `sha256sum` (SPEC §9). The re-read
goes through its own descriptor to what the filesystem returns for the copy, exactly what a
re-read after the whole copy would get (on a local disk, the page cache either way).

There is no kernel copy (copy_file_range, sendfile): the bytes must pass through this process to
be hashed anyway, so a kernel copy would only add a second read of the source, and on a
filesystem with reflinks it would share the source's blocks instead of making a second copy.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ytm_doctor import temps
from ytm_doctor.anchor import Anchor, parent_of
from ytm_doctor.hashing import CHUNK, NOFOLLOW, CopyError, FileSig, read_into
from ytm_doctor.temps import TEMP_MARK, host_tag, is_temp_name, temp_name  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from concurrent.futures import Future

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


def _reread_matches(
    fd: int, offset: int, written: bytearray, length: int, buffer: bytearray
) -> int:
    """Re-read `length` bytes of the copy from `offset` as the filesystem returns them now and
    compare them with the bytes written there (`written`, the source's chunk, still in memory).
    Returns how many bytes read back equal to what was written: `length` when the range is
    good, fewer at the first difference or short read."""
    view = memoryview(buffer)
    done = 0
    while done < length:
        n = read_into(fd, view[: length - done], offset + done)
        if not n:
            break
        # bytearray == bytearray is a memcmp (GB/s); comparing memoryviews goes item by item.
        same = (
            buffer == written
            if n == length == len(buffer) and done == 0
            else buffer[:n] == written[done : done + n]
        )
        if not same:
            break
        done += n
    if _FADV_DONTNEED is not None:
        # Checked: let the kernel start writing this range to disk now, so that the fsync at
        # the end has little left to wait for (Linux; a hint other systems may ignore).
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, offset, length, _FADV_DONTNEED)
    return done


@dataclass
class _Pass:
    """What one pass over the source established."""

    sha256: str  # of the source bytes read (and written)
    size: int  # bytes read from the source
    verified: int  # bytes of the copy that read back equal to what was written
    longer: bool  # the copy holds more bytes than were written


def _copy_hash_verify(fd_in: int, fd_out: int, fd_check: int, chunk: int) -> _Pass:
    """One pass over the source: each chunk is hashed here while a thread writes it, and a
    second thread re-reads the chunk written before it from the copy and compares it, byte for
    byte, with the source's chunk still in memory. A byte-exact match with bytes whose SHA-256
    was taken proves the copy has that SHA-256, without hashing the data a second time; the
    hash and the copy release the GIL, so on two cores the copy and its verification cost
    about one hashing of the file (plus a memcmp).

    Three source buffers rotate (chunk k is read while k-1 is written and k-2 compared), and
    one buffer serves the re-read; all are reused throughout."""
    source = hashlib.sha256()
    buffers = [bytearray(chunk) for _ in range(3)]
    check_buffer = bytearray(chunk)
    size = verified = 0
    # Imported here: every command that loads the operations imports this module, and
    # concurrent.futures brings in logging, while only a copy needs the threads.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2, thread_name_prefix="ytm-store") as pool:
        writing = None
        checking: list[Future] = []  # at most one comparison in flight
        previous: tuple[int, bytearray, int] | None = None  # written, not yet compared
        turn = 0
        # The buffer read into below was last used three chunks ago: its write was waited for
        # two turns ago and its comparison one turn ago, so it is free.
        while n := read_into(fd_in, memoryview(buffers[turn])):
            if writing is not None:
                writing.result()  # the previous chunk is in the copy: it can be compared
            verified += _collect(checking)
            if previous is not None:
                checking.append(pool.submit(_reread_matches, fd_check, *previous, check_buffer))
            data = memoryview(buffers[turn])[:n]
            writing = pool.submit(_write_all, fd_out, data)
            source.update(data)
            previous = (size, buffers[turn], n)
            size += n
            turn = (turn + 1) % 3
        if writing is not None:
            writing.result()
        verified += _collect(checking)
        if previous is not None and verified == size - previous[2]:
            verified += _reread_matches(fd_check, *previous, check_buffer)
    return _Pass(source.hexdigest(), size, verified, bool(os.pread(fd_check, 1, size)))


def _collect(checking: list[Future]) -> int:
    """Wait for the comparison in flight; the bytes it found equal. After a difference the
    count stops growing, so `verified` never reaches the size again."""
    total = sum(future.result() for future in checking)
    checking.clear()
    return total


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
    chunk, once written, is re-read from the temp file through a second descriptor and compared
    with the bytes written (alongside the copy of the next chunk). Only when the copy is
    non-empty, reads back whole and equal to the bytes hashed (whose SHA-256 must be
    `expected_sha256`, when given) and is fsynced does it take the final name. `dest` must not
    exist, or with `replace_link` must be a symlink, which the copy then replaces atomically.
    Raises CopyError (an OSError) when the copy cannot be trusted; the temp file is then
    removed (a killed process leaves it for stale_temps).

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
                done = _copy_hash_verify(fd_in, fd_out, fd_check, chunk)
            finally:
                os.close(fd_check)
            digest, size = done.sha256, done.size
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
            if done.verified != size or done.longer:
                raise CopyError(
                    errno.EIO,
                    f"the copy reads back differently from what was written (first difference "
                    f"at or after byte {done.verified} of {size})",
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
