"""One `fix --run`, `apply --run` or `undo --run` at a time per workspace: `<report_dir>/fix.lock`.

Two runs at once would each meet the other's fixes half-done (a link renamed aside whose
replacement is not there yet) and fail part-way through their own. The lock is the one of the
mirror, the store and saving scans (ytm_doctor.lock.Lock: owner, heartbeat, stale takeover).

A second run waits a few seconds for the first to end (most runs are that short) and then goes
on against the disk as the first one left it: `fix --run` holds the lock from its scan on, so
it plans from that disk; a saved plan's fixes that the first already made are refused as stale,
never done twice. If the lock is still held after the wait, it does
nothing and says who holds it, with exit 1: like `store --run`, and unlike a timer's mirror or
scan (exit 0), the change asked for was not made.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.journal import audit
from ytm_doctor.lock import Lock, LockBusy, LockInfo, lock_path, takeover_record

if TYPE_CHECKING:
    from ytm_doctor.config import Config

LOCK_NAME = "fix"  # <report_dir>/fix.lock, where YTM704 looks for stale locks too
WAIT_SECONDS = 5.0  # how long a second run waits for the first before giving up
POLL_SECONDS = 0.1


class RunBusy(Exception):
    """Another live fix, apply or undo run still held the lock after the wait."""

    def __init__(self, lock: Lock, holder: LockInfo) -> None:
        super().__init__(f"another fix, apply or undo holds {lock.path}: {holder.describe()}")
        self.holder = holder
        self.path = lock.path


@contextlib.contextmanager
def run_lock(
    config: Config, command: str, argv: list[str], wait: float | None = None
) -> Iterator[Lock]:
    """Hold fix.lock for the block; RunBusy when a live owner keeps it longer than `wait`
    seconds (default WAIT_SECONDS), UsageError (exit 4, nothing changed) when it cannot be
    created at all: a run that cannot write there could not journal either."""
    lock = Lock(
        lock_path(config.paths.report_dir, LOCK_NAME),
        LOCK_NAME,
        command=("ytm-doctor " + shlex.join(argv)).strip()[:200],
        stale_after=float(config["locks.stale_after_sec"]),  # the rule of the other locks
    )
    deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
    while True:
        try:
            lock.acquire()
            break
        except LockBusy as exc:
            if time.monotonic() >= deadline:
                raise RunBusy(lock, exc.info) from None
            time.sleep(POLL_SECONDS)
        except OSError as exc:  # the journal goes beside it: it could not be written either
            raise UsageError(
                f"cannot write the journal under {lock.path.parent}: {exc.strerror or exc} "
                f"(not even its lock {lock.path.name}); nothing was changed"
            ) from None
    try:
        if lock.took_over is not None:
            _record_takeover(config, lock, command)
        yield lock
    finally:
        lock.release()


def _record_takeover(config: Config, lock: Lock, command: str) -> None:
    gone = lock.took_over
    assert gone is not None
    print(
        f"ytm-doctor: {command}: took over a stale lock from {gone.describe()}: "
        f"{lock.took_over_reason}",
        file=sys.stderr,
    )
    with contextlib.suppress(OSError):  # the audit line must not stop the run
        audit(config.paths.report_dir, takeover_record(lock, command))
