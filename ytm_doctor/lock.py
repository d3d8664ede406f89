"""One owner at a time: the lock shared by mirror, store and scheduled scans (SPEC §10, seed 004
§28.3).

The lock is a small JSON file {name, host, pid, token, started_at, heartbeat, command} created
with O_EXCL. Its owner refreshes `heartbeat` every few seconds from a background thread. Another
process may take it over only when it is stale: the heartbeat is older than `stale_after`
seconds, or the owner ran on this host and its process is gone. Takeover renames the stale file
aside first (an atomic step only one contender can win), then creates a fresh lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from ytm_doctor.atomic import write_atomic

DEFAULT_STALE_AFTER = 30.0  # seconds without a heartbeat (seed 004 §28.3: T = 30 s)


@dataclass
class LockInfo:
    name: str
    host: str
    pid: int
    token: str
    started_at: float
    heartbeat: float
    command: str = ""

    def describe(self) -> str:
        age = time.time() - self.heartbeat
        return (
            f"{self.command or self.name} (pid {self.pid} on {self.host}, heartbeat {age:.0f}s ago)"
        )


class LockBusy(Exception):
    """Another live owner holds the lock."""

    def __init__(self, info: LockInfo) -> None:
        super().__init__(f"already running: {info.describe()}")
        self.info = info


def read_lock(path: Path) -> LockInfo | None:
    """The lock's owner, or None when there is no lock or it cannot be read (a torn write)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return LockInfo(**{k: data[k] for k in LockInfo.__dataclass_fields__ if k in data})
    except (OSError, ValueError, TypeError):
        return None


def is_stale(info: LockInfo | None, stale_after: float, now: float | None = None) -> bool:
    """True when nobody is alive behind the lock."""
    if info is None:
        return True  # unreadable: its writer died mid-write
    now = time.time() if now is None else now
    if now - info.heartbeat > stale_after:
        return True
    if info.host == socket.gethostname():
        try:
            proc = psutil.Process(info.pid)
            # A pid reused by another program since the owner died does not count as alive.
            return proc.create_time() > info.started_at + 1
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return True
        except psutil.Error:
            return False
    return False


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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> Lock:
        """Take the lock, taking over a stale one; LockBusy when a live owner holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            if self._create():
                self._start_heartbeat()
                return self
            current = read_lock(self.path)
            if not is_stale(current, self.stale_after):
                raise LockBusy(current)  # type: ignore[arg-type]
            aside = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}-{time.time_ns()}")
            try:
                os.rename(self.path, aside)  # only one contender can win this
            except FileNotFoundError:
                continue  # someone else took it over first; look again
            self.took_over = current or LockInfo(self.name, "?", 0, "", 0.0, 0.0)
            with contextlib.suppress(OSError):
                os.unlink(aside)  # a dead owner's lock file: nothing of value in it
        current = read_lock(self.path)
        raise LockBusy(current or LockInfo(self.name, "?", 0, "", 0.0, 0.0))

    def _create(self) -> bool:
        now = time.time()
        info = LockInfo(
            self.name,
            socket.gethostname(),
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

    def heartbeat(self) -> bool:
        """Refresh the heartbeat; False when the lock is no longer ours (taken over)."""
        current = read_lock(self.path)
        if self.info is None or current is None or current.token != self.info.token:
            return False
        self.info.heartbeat = time.time()
        write_atomic(self.path, json.dumps(asdict(self.info)))
        return True

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
        current = read_lock(self.path)
        if self.info is not None and current is not None and current.token == self.info.token:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        self.info = None

    def __enter__(self) -> Lock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
