"""One saving scan at a time per workspace (SPEC §10): scheduled scans must never overlap.

Every scan that saves its report holds `<report_dir>/scan.lock` (ytm_doctor.lock.Lock) from
before the walk until its notifiers are done, so two scans never prune, publish or compare
against a half-written history at once. A scan that finds the lock held by a live owner does
not scan at all: it says who holds it on stderr and exits 0, because for a timer "the previous
run is still going" is not a failure. A lock whose owner died is taken over and the takeover is
written to the audit log. `--no-save` scans write nothing and take no lock.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from typing import TYPE_CHECKING

from ytm_doctor.lock import Lock, LockBusy, LockInfo, lock_path, takeover_record

if TYPE_CHECKING:
    from ytm_doctor.config import Config

LOCK_NAME = "scan"  # <report_dir>/scan.lock, where YTM704 looks for stale locks


class ScanBusy(Exception):
    """Another live scan holds the lock."""

    def __init__(self, holder: LockInfo) -> None:
        super().__init__(holder.describe())
        self.holder = holder


class ScanLock:
    """The scan lock of one workspace. `acquire` is called by the scan once its command line
    proved valid and just before it starts walking, so a usage error writes nothing."""

    def __init__(self, config: Config, argv: list[str]) -> None:
        self.config = config
        command = ("ytm-doctor " + shlex.join(argv)).strip()[:200]
        self.lock = Lock(
            lock_path(config.paths.report_dir, LOCK_NAME),
            LOCK_NAME,
            command=command,
            # The same rule as the mirror's and the store's locks.
            stale_after=float(config["locks.stale_after_sec"]),
        )
        self.held = False

    def acquire(self) -> None:
        """Take the lock; ScanBusy when a live scan holds it. When the lock cannot be created
        at all (a read-only log dir) the scan runs unlocked: its report cannot be saved there
        either, which the writers report."""
        try:
            self.lock.acquire()
        except LockBusy as exc:
            raise ScanBusy(exc.info) from None
        except OSError as exc:
            print(
                f"ytm-doctor: warning: cannot take the scan lock {self.lock.path}: "
                f"{exc.strerror or exc}; scanning without it",
                file=sys.stderr,
            )
            return
        self.held = True
        if self.lock.took_over is not None:
            _record_takeover(self.config, self.lock)

    def release(self) -> None:
        if self.held:
            self.lock.release()
            self.held = False


def _record_takeover(config: Config, lock: Lock) -> None:
    gone = lock.took_over
    assert gone is not None
    print(
        f"ytm-doctor: took over a stale scan lock from {gone.describe()}: {lock.took_over_reason}",
        file=sys.stderr,
    )
    from ytm_doctor.fix.journal import audit  # the fix engine's journal: only on a takeover

    with contextlib.suppress(OSError):  # the audit line must not stop the scan
        audit(config.paths.report_dir, takeover_record(lock, "scan"))
