"""Saving scans never overlap: the second one exits 0 naming the first; a dead owner's lock is
taken over and the takeover is audited."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from ytm_doctor.lock import Lock, lock_path, read_lock

# A check that holds the scan open until the test says so: the first scan is really running
# (a real process, past its lock, in the middle of its checks) while the second one starts.
GATE_PLUGIN = '''
import os, time
from ytm_doctor import check

@check("GATE001", "gate", severity="info")
def gate(ctx):
    """waits at a gate the test opens"""
    started, release = os.environ.get("GATE_STARTED"), os.environ.get("GATE_RELEASE")
    if started and release:
        open(started, "w").close()
        deadline = time.monotonic() + 60
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.02)
    return []
'''


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def scan_lock(world) -> Path:
    return lock_path(world.report_dir, "scan")


def test_second_scan_exits_cleanly_naming_the_running_one(world, cli, monkeypatch) -> None:
    world.write("gate.py", GATE_PLUGIN)
    world.configure(plugins=["gate.py"])
    started, release = world.root / "started", world.root / "release"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    env.update(GATE_STARTED=str(started), GATE_RELEASE=str(release))
    first = subprocess.Popen(
        [sys.executable, "-m", "ytm_doctor.cli", "-q"],
        cwd=world.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(started)
        holder = read_lock(scan_lock(world))
        assert holder is not None and holder.pid == first.pid

        second = cli("-q")
        assert second.code == 0  # not a failure for a timer: the previous run is still going
        [line] = second.err_lines
        assert line.startswith("ytm-doctor: another scan is running: ")
        assert f"pid {first.pid} on {socket.gethostname()}" in line
        assert "ytm-doctor -q" in line  # the holder's command
        assert second.out == ""
        assert world.saved_reports() == []  # the second scan saved nothing

        # A --no-save scan writes nothing, so it does not wait for anyone.
        assert cli("--no-save", "-q").code == 0
    finally:
        release.touch()
        _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert len(world.saved_reports()) == 1  # the first scan finished and saved its report
    assert not scan_lock(world).exists()  # and let go of the lock
    assert cli("-q").code == 0  # so the next one runs
    assert len(world.saved_reports()) == 2


def test_a_dead_owners_lock_is_taken_over_and_audited(world, cli) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    now = time.time()
    world.report_dir.mkdir(parents=True)
    scan_lock(world).write_text(
        json.dumps(
            {
                "name": "scan",
                "host": socket.gethostname(),
                "pid": dead.pid,
                "token": "deadbeef",
                "started_at": now - 120,
                "heartbeat": now,  # fresh: only the owner's death makes it stale
                "command": "ytm-doctor -q --keep-reports 200",
            }
        )
    )
    res = cli("-q")
    assert res.code == 0, res.err
    assert len(world.saved_reports()) == 1
    [line] = [ln for ln in res.err_lines if "stale scan lock" in ln]
    assert f"pid {dead.pid}" in line
    records = [json.loads(x) for x in (world.report_dir / "audit.jsonl").read_text().splitlines()]
    [takeover] = [r for r in records if r.get("event") == "lock-takeover"]
    assert takeover["command"] == "scan"
    assert takeover["previous_owner"]["pid"] == dead.pid
    assert takeover["previous_owner"]["command"] == "ytm-doctor -q --keep-reports 200"
    assert takeover["lock"] == str(scan_lock(world))
    assert not scan_lock(world).exists()


def test_a_live_lock_in_this_process_blocks_a_saving_scan(world, cli) -> None:
    lock = Lock(scan_lock(world), "scan", command="ytm-doctor (held by the test)")
    lock.acquire()
    try:
        res = cli()
        assert res.code == 0
        assert "another scan is running: ytm-doctor (held by the test)" in res.err
        assert world.saved_reports() == []
    finally:
        lock.release()


def test_a_usage_error_takes_no_lock_and_writes_nothing(world, cli) -> None:
    res = cli("-k", "share and")
    assert res.code == 4
    assert not world.report_dir.exists()


def test_an_unusable_log_dir_still_scans(world, cli) -> None:
    # A file where the report dir should be: no lock, no saved report, but still a scan.
    world.report_dir.parent.mkdir(parents=True, exist_ok=True)
    world.report_dir.write_text("not a directory")
    res = cli("-q")
    assert res.code == 0
    assert "cannot take the scan lock" in res.err
    assert "another scan" not in res.err
