"""Writing a long list of JSON lines with a second core: a forked child encodes the second half.

A big report spends about a fifth of its scan turning findings into text, in one thread (json's
C encoder holds the GIL). With a second core (forking.can_fork: Linux) and thousands of
items, `write_joined` forks a child that encodes the second half into a memory file while this
process encodes and writes the first half; then it copies the child's text after its own. The
text is what one process would have written: the child runs the same function on the same
items, copied by the fork. Only a child that exited 0 is read, and whatever goes wrong with it
(no memory file, no fork, an exception, a kill) makes this process encode that half itself.
The child writes nothing but its memory file, takes no lock and leaves only through os._exit;
Ctrl-C ends it with this process, which kills and reaps it on any way out.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

from ytm_doctor.forking import can_fork, enter_child, fork, kill_and_reap, reap

T = TypeVar("T")

MIN_ITEMS = 4000  # below this the fork costs about what it saves
CHUNK = 512  # items encoded per write(): one write per item costs more than encoding it
_READ = 1 << 20


def write_joined(
    items: Sequence[T], encode: Callable[[T], str], sep: str, write: Callable[[str], object]
) -> None:
    """write(sep.join(encode(item) for item in items)), in chunks of CHUNK items."""
    half = len(items) // 2
    child = _start(items[half:], encode, sep) if len(items) >= MIN_ITEMS else None
    if child is None:
        _write_chunks(items, encode, sep, write)
        return
    pid, fd = child
    try:
        _write_chunks(items[:half], encode, sep, write)
        code = reap(pid)  # None: reaped by the kernel (SIGCHLD ignored), its end unknown
        if code == 0:
            write(sep)
            _copy(fd, write)
            return
    finally:
        kill_and_reap(pid)  # nothing once reaped above
        os.close(fd)
    write(sep)
    _write_chunks(items[half:], encode, sep, write)


def _write_chunks(
    items: Sequence[T], encode: Callable[[T], str], sep: str, write: Callable[[str], object]
) -> None:
    for start in range(0, len(items), CHUNK):
        if start:
            write(sep)
        write(sep.join([encode(item) for item in items[start : start + CHUNK]]))


def _start(items: Sequence[T], encode: Callable[[T], str], sep: str) -> tuple[int, int] | None:
    """(pid, memory file) of a child encoding `items`, or None when there is to be no child."""
    if not can_fork() or not hasattr(os, "memfd_create"):
        return None
    try:
        fd = os.memfd_create("ytm-doctor-json", os.MFD_CLOEXEC)
    except OSError:
        return None
    pid = fork()
    if pid is None:
        os.close(fd)
        return None
    if pid == 0:  # the child: never returns
        _child(fd, items, encode, sep)
    return pid, fd


def _child(fd: int, items: Sequence[T], encode: Callable[[T], str], sep: str) -> None:
    code = 1
    try:
        enter_child(keep=fd)
        for start in range(0, len(items), CHUNK):
            text = sep.join([encode(item) for item in items[start : start + CHUNK]])
            data = memoryview((sep + text if start else text).encode("utf-8", "surrogatepass"))
            while data:
                data = data[os.write(fd, data) :]
        code = 0
    except BaseException:  # the parent learns of a failure by the exit code only
        code = 1
    finally:
        os._exit(code)


def _copy(fd: int, write: Callable[[str], object]) -> None:
    """The child's text, from the start of its memory file, decoded as it was encoded."""
    os.lseek(fd, 0, os.SEEK_SET)
    decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
    while data := os.read(fd, _READ):
        write(decoder.decode(data))
    write(decoder.decode(b"", final=True))
