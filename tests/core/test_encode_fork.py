"""A long list of JSON lines written with a forked child encoding its second half: the same
text as one process writes, whatever the child does."""

from __future__ import annotations

import io
import json
import os

import pytest

from ytm_doctor import encode_fork
from ytm_doctor.encode_fork import MIN_ITEMS, write_joined
from ytm_doctor.forking import can_fork

SEP = ",\n    "
# Names as findings hold them: multi-byte text (split across the child's reads), a line
# separator, a lone surrogate, quotes and control characters.
ODD = ["caf\u00e9 \u52d5\u753b", "a\u2028b", "x\ud800y", 'q"\\\x01', "\U0001f3ac"]


def items(n: int) -> list[dict]:
    return [{"i": i, "name": ODD[i % len(ODD)] * (1 + i % 7)} for i in range(n)]


class Counting:
    """json.dumps of an item, counting the calls made in this process."""

    def __init__(self, fail_in_child: bool = False) -> None:
        self.pid = os.getpid()
        self.calls = 0
        self.fail_in_child = fail_in_child

    def __call__(self, item: dict) -> str:
        if os.getpid() != self.pid:
            if self.fail_in_child:
                raise RuntimeError("the child fails")
        else:
            self.calls += 1
        return json.dumps(item, ensure_ascii=False)


def written(values: list[dict], encode: Counting) -> str:
    out = io.StringIO()
    write_joined(values, encode, SEP, out.write)
    return out.getvalue()


needs_fork = pytest.mark.skipif(not can_fork(), reason="the child is forked on Linux only")


@needs_fork
def test_the_child_encodes_the_second_half_and_the_text_is_the_same() -> None:
    values = items(MIN_ITEMS + 123)
    encode = Counting()
    text = written(values, encode)
    assert text == SEP.join(json.dumps(v, ensure_ascii=False) for v in values)
    assert encode.calls == len(values) // 2  # the rest was encoded in the child


@needs_fork
def test_a_failing_child_leaves_its_half_to_this_process() -> None:
    values = items(MIN_ITEMS)
    encode = Counting(fail_in_child=True)
    assert written(values, encode) == SEP.join(json.dumps(v, ensure_ascii=False) for v in values)
    assert encode.calls == len(values)


@needs_fork
def test_leaving_early_kills_and_reaps_the_child() -> None:
    values = items(MIN_ITEMS * 4)

    def write(text: str) -> None:
        raise BrokenPipeError("the reader went away")

    with pytest.raises(BrokenPipeError):
        write_joined(values, Counting(), SEP, write)
    with pytest.raises(ChildProcessError):  # no child left, not even a zombie
        os.waitpid(-1, os.WNOHANG)


def test_small_lists_and_no_fork_are_written_here(monkeypatch: pytest.MonkeyPatch) -> None:
    values = items(MIN_ITEMS - 1)
    encode = Counting()
    assert written(values, encode) == SEP.join(json.dumps(v, ensure_ascii=False) for v in values)
    assert encode.calls == len(values)
    monkeypatch.setattr(encode_fork, "can_fork", lambda: False)
    values = items(MIN_ITEMS * 2)
    encode = Counting()
    assert written(values, encode) == SEP.join(json.dumps(v, ensure_ascii=False) for v in values)
    assert encode.calls == len(values)
    assert written([], Counting()) == ""


@needs_fork
def test_a_child_the_kernel_reaped_itself_leaves_its_half_to_this_process() -> None:
    """Started with SIGCHLD ignored (some launchers pass that on), the child is reaped by the
    kernel and its exit is unknown: this process encodes that half, the text is whole."""
    import signal

    values = items(MIN_ITEMS)
    encode = Counting()
    before = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        text = written(values, encode)
    finally:
        signal.signal(signal.SIGCHLD, before)
    assert text == SEP.join(json.dumps(v, ensure_ascii=False) for v in values)
    assert encode.calls == len(values)


@needs_fork
def test_the_child_keeps_no_file_of_this_process_open(tmp_path) -> None:
    """A lock file's guard this process holds (flock) at the moment of the fork is not held on
    by the child: once this process lets go, another can take it while the child still runs."""
    import fcntl
    import time

    guard = tmp_path / "guard"
    fd = os.open(guard, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    parent = os.getpid()
    values = items(MIN_ITEMS)
    free_while_child_runs: list[bool] = []

    def encode(item: dict) -> str:
        if os.getpid() != parent:
            if item["i"] == len(values) // 2:  # the child's first: it still runs while we look
                time.sleep(2.0)
        elif not free_while_child_runs:  # the parent's first item, right after the fork
            os.close(fd)
            other = os.open(guard, os.O_RDWR)
            deadline = time.monotonic() + 1.0  # the child closes what it inherited first thing
            try:
                while True:
                    try:
                        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        free_while_child_runs.append(True)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            free_while_child_runs.append(False)
                            break
                        time.sleep(0.01)
            finally:
                os.close(other)
        return json.dumps(item, ensure_ascii=False)

    out = io.StringIO()
    write_joined(values, encode, SEP, out.write)
    assert free_while_child_runs == [True]
    assert out.getvalue() == SEP.join(json.dumps(v, ensure_ascii=False) for v in values)
