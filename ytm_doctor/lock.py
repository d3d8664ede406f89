"""One owner at a time: the lock shared by mirror, store and scheduled scans (SPEC §10, seed 004
§28.3).

The lock is a small JSON file {name, host, pid, token, started_at, heartbeat, command, child_pid,
child_started} created with O_EXCL. Its owner refreshes `heartbeat` every few seconds from a
background thread, and names the long-running child it starts (rsync), so that a lock whose
Python owner was SIGKILLed while its rsync keeps running is still held.

Who may take a lock over (`judge`):
- on this host the kernel is asked: the lock is stale once neither the owner nor its recorded
  child is running (a pid reused by another program does not count). A live owner whose
  heartbeat stopped (suspended, hung) is never taken over: YTM704 reports it instead;
- for another host only the heartbeat can tell: stale after `stale_after` seconds without one
  (seed 004 §28.3: T = 30 s).

Every change of the lock file (create, take over, heartbeat, release) happens under a guard:
an flock on `.<name>.guard` beside it, which the kernel drops when its holder dies. So two
contenders can never both take over the same stale lock, and an owner never rewrites or removes
a lock that was taken over from it. Where flock is not supported (some network filesystems),
the steps run unguarded; locks are meant to live on the local disk (`<report_dir>`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ytm_doctor.atomic import write_atomic
from ytm_doctor.clock import iso_seconds
from ytm_doctor.identity import host_name
from ytm_doctor.jsonio import JsonInputError, read_json_object

try:
    import fcntl
except ImportError:  # pragma: no cover - not on macOS or Linux
    fcntl = None  # type: ignore[assignment]

DEFAULT_STALE_AFTER = 30.0  # seconds without a heartbeat (seed 004 §28.3: T = 30 s)
LOCK_SUFFIX = ".lock"
LOCK_MAX_BYTES = 1 << 20  # a lock is a few hundred bytes (its command line included)
# A lock file that cannot be parsed is a create caught between open and write, or a dead
# writer's leftover: it is judged stale only once it has been left alone this long.
TORN_GRACE = 5.0


@dataclass
class LockInfo:
    name: str
    host: str
    pid: int
    token: str
    started_at: float
    heartbeat: float
    command: str = ""
    child_pid: int = 0  # the long-running program the owner started (rsync), 0 for none
    child_started: float = 0.0

    def describe(self) -> str:
        age = time.time() - self.heartbeat
        child = f", child pid {self.child_pid}" if self.child_pid else ""
        return (
            f"{self.command or self.name} (pid {self.pid} on {self.host}{child}, "
            f"started {_iso_epoch(self.started_at)}, heartbeat {age_text(age)} ago)"
        )

    def to_json(self) -> dict[str, Any]:
        """For audit records and findings: times as ISO strings, no token."""
        data = asdict(self)
        data.pop("token")
        data["started_at"] = _iso_epoch(self.started_at)
        data["heartbeat"] = _iso_epoch(self.heartbeat)
        data["child_started"] = _iso_epoch(self.child_started) if self.child_pid else None
        return data


@dataclass(frozen=True)
class Verdict:
    """What is behind a lock: `stale` when nobody is, and why in `reason`. `silent` marks a
    live owner on this host whose heartbeat stopped (suspended or hung): kept, but suspect."""

    stale: bool
    reason: str
    silent: bool = False


class LockBusy(Exception):
    """Another live owner holds the lock."""

    def __init__(self, info: LockInfo) -> None:
        super().__init__(f"already running: {info.describe()}")
        self.info = info


def lock_path(report_dir: str | os.PathLike, name: str) -> Path:
    """Where the lock called `name` lives: `<report_dir>/<name>.lock` (YTM704 looks there)."""
    return Path(report_dir) / f"{name}{LOCK_SUFFIX}"


def read_lock(path: Path) -> LockInfo | None:
    """The lock's owner, or None when there is no lock or it cannot be read (a torn write)."""
    try:
        data = read_json_object(path, max_bytes=LOCK_MAX_BYTES, what="lock file")
        return LockInfo(**{k: data[k] for k in LockInfo.__dataclass_fields__ if k in data})
    except (JsonInputError, TypeError):  # TypeError: a field missing, the lock is torn
        return None


def _running(pid: int, started_before: float) -> bool | None:
    """True when `pid` runs and was started no later than `started_before` (else the pid was
    reused since), False when it does not, None when this host cannot tell."""
    if pid <= 0:
        return False
    import psutil  # ~20 ms to import: only where a process is looked at

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return proc.create_time() <= started_before + 1
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.Error:
        return None  # e.g. AccessDenied: it exists, owned by someone else


def judge(
    info: LockInfo | None,
    stale_after: float = DEFAULT_STALE_AFTER,
    now: float | None = None,
    *,
    mtime: float | None = None,
) -> Verdict:
    """Whether anybody is alive behind a lock (see the module docstring for the rules).
    `mtime` is the lock file's modification time, used only for a lock that cannot be read."""
    now = time.time() if now is None else now
    if info is None:
        if mtime is not None and now - mtime < TORN_GRACE:
            return Verdict(False, "being written")
        return Verdict(True, "unreadable: its writer died while writing it")
    age = now - info.heartbeat
    if info.host == host_name():
        owner = _running(info.pid, info.started_at)
        silent = age > stale_after
        if owner is not False:
            why = f"pid {info.pid} is running" if owner else f"pid {info.pid} exists"
            if silent:
                why += f" but its heartbeat stopped {age_text(age)} ago (suspended or hung?)"
            return Verdict(False, why, silent=silent)
        if info.child_pid and _running(info.child_pid, info.child_started) is not False:
            return Verdict(
                False, f"owner pid {info.pid} is gone but its child pid {info.child_pid} runs"
            )
        return Verdict(True, f"owner pid {info.pid} on this host is gone")
    if age > stale_after:
        return Verdict(
            True, f"no heartbeat from {info.host} for {age_text(age)} (> {stale_after:g}s)"
        )
    return Verdict(False, f"{info.host} sent a heartbeat {age_text(age)} ago")


def is_stale(info: LockInfo | None, stale_after: float, now: float | None = None) -> bool:
    """True when nobody is alive behind the lock."""
    return judge(info, stale_after, now).stale


@contextlib.contextmanager
def _guard(lock_file: Path) -> Iterator[None]:
    """Serialise changes to `lock_file` between processes (released by the kernel on death)."""
    guard = lock_file.with_name(f".{lock_file.name}.guard")
    try:
        fd = os.open(guard, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield  # a read-only dir: creating the lock itself will say so
        return
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                    raise
        yield
    finally:
        os.close(fd)  # closing drops the flock


def _mtime(path: Path) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


class Lock:
    def __init__(
        self, path: Path, name: str, *, command: str = "", stale_after: float = DEFAULT_STALE_AFTER
    ) -> None:
        self.path = Path(path)
        self.name = name
        self.command = command
        self.stale_after = stale_after
        self.info: LockInfo | None = None
        self.took_over: LockInfo | None = None  # the stale owner replaced, for the audit log
        self.took_over_reason = ""
        # Set when the heartbeat finds the lock is no longer ours (taken over while we were
        # suspended longer than stale_after on another host's judgement).
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> Lock:
        """Take the lock, taking over a stale one; LockBusy when a live owner holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _guard(self.path):
            for _ in range(3):
                if self._create():
                    self._start_heartbeat()
                    return self
                current = read_lock(self.path)
                verdict = judge(current, self.stale_after, mtime=_mtime(self.path))
                if not verdict.stale:
                    if current is None:
                        break  # being written by a contender that is not guarded
                    raise LockBusy(current)
                aside = self.path.with_name(
                    f"{self.path.name}.stale-{os.getpid()}-{time.time_ns()}"
                )
                try:
                    os.rename(self.path, aside)  # unguarded contenders: only one wins this
                except FileNotFoundError:
                    continue  # released or taken over meanwhile; look again
                self.took_over = current or LockInfo(self.name, "?", 0, "", 0.0, 0.0)
                self.took_over_reason = verdict.reason
                with contextlib.suppress(OSError):
                    os.unlink(aside)  # a dead owner's lock file: its content is in took_over
        current = read_lock(self.path)
        raise LockBusy(current or LockInfo(self.name, "?", 0, "", time.time(), time.time()))

    def _create(self) -> bool:
        now = time.time()
        info = LockInfo(
            self.name,
            host_name(),
            os.getpid(),
            os.urandom(8).hex(),
            now,
            now,
            self.command,
        )
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(info), fh)
            fh.flush()
            os.fsync(fh.fileno())
        self.info = info
        return True

    def _rewrite(self, **changes: Any) -> bool:
        """Update our lock file; False (and `lost` set) when it is no longer ours."""
        with _guard(self.path):
            current = read_lock(self.path)
            if self.info is None or current is None or current.token != self.info.token:
                self.lost.set()
                return False
            for key, value in changes.items():
                setattr(self.info, key, value)
            write_atomic(self.path, json.dumps(asdict(self.info)))
            return True

    def heartbeat(self) -> bool:
        """Refresh the heartbeat; False when the lock is no longer ours (taken over)."""
        return self._rewrite(heartbeat=time.time())

    def record_child(self, pid: int) -> bool:
        """Name the long-running program this owner started, so that the lock stays held
        while it runs even if this process is killed (seed 002: one mirror at a time)."""
        import psutil

        try:
            started = psutil.Process(pid).create_time()
        except psutil.Error:
            started = time.time()
        return self._rewrite(child_pid=pid, child_started=started, heartbeat=time.time())

    def _start_heartbeat(self) -> None:
        interval = max(0.5, self.stale_after / 4)

        def beat() -> None:
            while not self._stop.wait(interval):
                with contextlib.suppress(OSError):
                    if not self.heartbeat():
                        return

        self._stop.clear()
        self._thread = threading.Thread(target=beat, name=f"lock-{self.name}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(OSError), _guard(self.path):
            current = read_lock(self.path)
            if self.info is not None and current is not None and current.token == self.info.token:
                os.unlink(self.path)
        self.info = None

    def __enter__(self) -> Lock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def takeover_record(lock: Lock, command: str) -> dict[str, Any]:
    """The audit.jsonl record of a stale lock taken over (seed 004 §28.3: stale_detected)."""
    gone = lock.took_over
    return {
        "command": command,
        "event": "lock-takeover",
        "lock": os.fspath(lock.path),
        "reason": lock.took_over_reason,
        "previous_owner": gone.to_json() if gone else None,
    }


def age_text(seconds: float) -> str:
    """42s, 17 min, 5 h, 3 days: how long ago, readable at a glance."""
    if seconds < 120:
        return f"{max(seconds, 0):.0f}s"
    if seconds < 120 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _iso_epoch(seconds: float) -> str:
    return iso_seconds(datetime.fromtimestamp(seconds, timezone.utc))
