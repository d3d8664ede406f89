"""The lock shared by mirror, store and scheduled scans (SPEC §10, seed 004 §28.3), with real
processes: one owner at a time, a dead owner's lock taken over, a live one never."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from ytm_doctor.lock import Lock, LockBusy, LockInfo, judge, lock_path, read_lock

# A process that takes the lock and holds it; with "child" it also starts `sleep` and records
# it as the lock's child, as the mirror does with rsync.
HOLDER = r"""
import subprocess, sys, time
from pathlib import Path
from ytm_doctor.lock import Lock
lock = Lock(Path(sys.argv[1]), "mirror", command="holder", stale_after=30)
lock.acquire()
if sys.argv[2:] == ["child"]:
    child = subprocess.Popen(["sleep", "60"])
    lock.record_child(child.pid)
    print(child.pid, flush=True)
print("held", flush=True)
time.sleep(60)
"""


def start_holder(path: Path, *extra: str) -> tuple[subprocess.Popen, int | None]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), *extra], stdout=subprocess.PIPE, text=True
    )
    child = int(proc.stdout.readline()) if extra else None
    assert proc.stdout.readline().strip() == "held"
    return proc, child


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)


def write_lock(path: Path, **fields) -> None:
    info = {
        "name": "mirror",
        "host": "lenovo-gateway",
        "pid": 4242,
        "token": "t0",
        "started_at": time.time() - 3600,
        "heartbeat": time.time() - 3600,
        "command": "ytm-doctor mirror --run",
    }
    info.update(fields)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info), encoding="utf-8")


def test_the_owner_is_recorded_and_release_removes_the_lock(tmp_path: Path) -> None:
    path = lock_path(tmp_path / "logs", "mirror")
    assert path == tmp_path / "logs" / "mirror.lock"
    with Lock(path, "mirror", command="ytm-doctor mirror --run") as lock:
        info = read_lock(path)
        assert info is not None
        assert (info.host, info.pid, info.command) == (
            socket.gethostname(),
            os.getpid(),
            "ytm-doctor mirror --run",
        )
        assert lock.took_over is None
    assert not path.exists()


def test_a_second_owner_is_refused_and_told_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "mirror.lock"
    proc, _ = start_holder(path)
    try:
        with pytest.raises(LockBusy) as busy:
            Lock(path, "mirror").acquire()
        assert busy.value.info.pid == proc.pid
        assert f"pid {proc.pid} on {socket.gethostname()}" in str(busy.value)
    finally:
        kill(proc.pid)


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "mirror.lock"
    proc, _ = start_holder(path)
    kill(proc.pid)
    assert read_lock(path).pid == proc.pid  # SIGKILL: nothing cleaned up
    lock = Lock(path, "mirror").acquire()
    try:
        assert lock.took_over.pid == proc.pid
        assert f"owner pid {proc.pid} on this host is gone" == lock.took_over_reason
        assert read_lock(path).pid == os.getpid()
    finally:
        lock.release()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []


def test_a_killed_owner_whose_child_still_runs_keeps_the_lock(tmp_path: Path) -> None:
    # The mirror SIGKILLed while its rsync goes on: a takeover would start a second rsync.
    path = tmp_path / "mirror.lock"
    proc, child = start_holder(path, "child")
    kill(proc.pid)
    try:
        with pytest.raises(LockBusy):
            Lock(path, "mirror").acquire()
        assert "child pid" in judge(read_lock(path)).reason
    finally:
        kill(child)
    with Lock(path, "mirror") as lock:
        assert lock.took_over.child_pid == child


def test_another_hosts_lock_is_stale_only_after_its_heartbeat_stops(tmp_path: Path) -> None:
    path = tmp_path / "mirror.lock"
    write_lock(path, heartbeat=time.time() - 5)
    with pytest.raises(LockBusy):
        Lock(path, "mirror", stale_after=30).acquire()
    write_lock(path, heartbeat=time.time() - 31)
    with Lock(path, "mirror", stale_after=30) as lock:
        assert lock.took_over.host == "lenovo-gateway"
        assert lock.took_over_reason.startswith("no heartbeat from lenovo-gateway for 31s")


def test_a_live_owner_on_this_host_is_not_taken_over_even_when_silent(tmp_path: Path) -> None:
    # A Mac that slept for an hour mid-mirror: its heartbeat is old, its process alive.
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        started = psutil.Process(sleeper.pid).create_time()
        path = tmp_path / "mirror.lock"
        write_lock(
            path, host=socket.gethostname(), pid=sleeper.pid, started_at=started + 0.5,
            heartbeat=time.time() - 3600,
        )  # fmt: skip
        with pytest.raises(LockBusy):
            Lock(path, "mirror", stale_after=30).acquire()
        verdict = judge(read_lock(path), 30)
        assert not verdict.stale and verdict.silent
    finally:
        kill(sleeper.pid)


def test_a_reused_pid_does_not_keep_a_dead_owners_lock(tmp_path: Path) -> None:
    # The recorded pid is alive (this very process) but started after the lock was written.
    path = tmp_path / "mirror.lock"
    born = psutil.Process().create_time()
    write_lock(path, host=socket.gethostname(), pid=os.getpid(), started_at=born - 100)
    assert judge(read_lock(path)).stale
    with Lock(path, "mirror") as lock:
        assert lock.took_over.pid == os.getpid()


def test_an_unreadable_lock_is_left_alone_while_fresh_and_taken_over_when_old(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mirror.lock"
    path.write_text("{", encoding="utf-8")  # a create caught before its JSON was written
    with pytest.raises(LockBusy):
        Lock(path, "mirror").acquire()
    old = time.time() - 60
    os.utime(path, (old, old))
    with Lock(path, "mirror") as lock:
        assert lock.took_over is not None
        assert "unreadable" in lock.took_over_reason


def test_an_owner_whose_lock_was_taken_over_neither_rewrites_nor_removes_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mirror.lock"
    first = Lock(path, "mirror").acquire()
    first._stop.set()  # no background beats: the test drives them
    write_lock(path, token="someone-else", heartbeat=time.time())
    assert first.heartbeat() is False
    assert first.lost.is_set()
    first.release()
    assert read_lock(path).token == "someone-else"


def test_the_heartbeat_thread_keeps_the_lock_fresh(tmp_path: Path) -> None:
    path = tmp_path / "mirror.lock"
    with Lock(path, "mirror", stale_after=2) as lock:  # beats every 0.5 s
        first = read_lock(path).heartbeat
        time.sleep(1.3)
        assert read_lock(path).heartbeat > first
        assert not lock.lost.is_set()


CONTENDER = r"""
import sys, time
from pathlib import Path
from ytm_doctor.lock import Lock, LockBusy
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
try:
    lock = Lock(Path(sys.argv[1]), "mirror").acquire()
except LockBusy:
    print("busy")
else:
    print("won", flush=True)
    time.sleep(1.5)
    lock.release()
"""


def test_contenders_racing_for_one_stale_lock_leave_exactly_one_owner(tmp_path: Path) -> None:
    path = tmp_path / "mirror.lock"
    write_lock(path)  # another host's, silent for an hour: stale
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, str(path), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    time.sleep(1.0)  # all of them imported and waiting
    go.touch()
    outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outcomes == ["busy"] * 5 + ["won"]


def test_describe_names_the_owner_for_a_person(tmp_path: Path) -> None:
    info = LockInfo("mirror", "mac", 123, "t", time.time() - 7200, time.time() - 7200, "mirror")
    text = info.describe()
    assert "pid 123 on mac" in text and "heartbeat 2 h ago" in text
    assert "token" not in json.dumps(info.to_json())
