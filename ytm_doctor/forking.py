"""Forked helper children, as the walk's listing child (walk_fork) and the report's encoding
child (encode_fork) use them: when to fork, how a child starts, how it is waited for or ended.

A child here is a forked copy of this process that does one computation and hands its result
back through a descriptor. It takes no lock, runs no check and leaves only through os._exit,
never through this process's `finally` blocks (which release locks). Linux only: on macOS a
fork without exec is not safe once system libraries have started threads.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import warnings


def can_fork() -> bool:
    """A child may be forked here: Linux and two cores or more that this process may run on
    (a container's CPU set counts, not the machine's). Other threads may run (the scan lock's
    heartbeat does): a child takes none of the locks they might hold, as it only computes and
    writes its own descriptor, and it closes every file it inherited (enter_child)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores > 1


def fork() -> int | None:
    """os.fork(): 0 in the child, its pid here; None when no child can be forked now (no
    process to spare, the fork warning made an error): the caller then does the work itself."""
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns of fork() in a process with threads; see can_fork.
            warnings.simplefilter("ignore", DeprecationWarning)
            return os.fork()
    except Exception:
        return None


def enter_child(keep: int) -> None:
    """What a child does first: Ctrl-C and SIGTERM end it at once, whatever this process's
    handlers do; every inherited descriptor but `keep` is closed; no garbage collection (a
    full collection touches every object the parent had, and each page touched is a page
    copied, which cost more than the child's work; its garbage goes with it when it exits)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    close_inherited(keep)
    gc.disable()


def close_inherited(keep: int) -> None:
    """In a forked child: close every file descriptor above stderr but `keep`. One the parent
    held a lock through (the lock file's guard, flock'ed by the heartbeat thread at the moment
    of the fork) would otherwise keep that lock held for as long as the child lives."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd > 2 and fd != keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def reap(pid: int) -> int | None:
    """Wait for the child `pid`; its exit code, or None when there is none to be had (the
    kernel already reaped it: this process was started with SIGCHLD ignored)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)


def kill_and_reap(pid: int) -> None:
    """End the child `pid` if it is still ours (not reaped yet), and reap it."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return  # reaped already: the pid may be another process's by now
    if done == 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
