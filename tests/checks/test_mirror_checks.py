"""YTM703 mirror-stale and YTM704 stale-lock, through real scans: run logs as the mirror (and the
old workspaces_mirror.py) write them, lock files left by real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
import pytest

from ytm_doctor.demo import build_demo
from ytm_doctor.lock import Lock

LOGS = "logs/ops/workspaces_mirror"


def scan(cli, code: str) -> list[dict]:
    result = cli("--select", code, "--json", "--no-save")
    assert result.code in (0, 1), result.err
    return [f for f in result.json()["findings"] if f["rule"] == code]


def write_log(world, minutes_ago: float, *, name_suffix: str = "", **record) -> Path:
    """A run log as `ytm-doctor mirror` writes it, finished `minutes_ago`."""
    when = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    data = {"schema": "ytm.workspaces_mirror.v1", "run": True, "ok": True, "returncode": 0}
    data["finished_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    data.update(record)
    path = world.ws / LOGS / f"workspaces_mirror__{when:%Y%m%dT%H%M%SZ}{name_suffix}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- YTM703 -----------------------------------------------------------------------------------


def test_a_fresh_successful_mirror_is_no_finding_and_no_mirror_at_all_neither(world, cli) -> None:
    assert scan(cli, "YTM703") == []  # a host that never mirrors (CI, the gateway's own)
    write_log(world, 2)
    assert scan(cli, "YTM703") == []


def test_a_success_older_than_the_limit_is_stale(world, cli) -> None:
    write_log(world, 61)
    [finding] = scan(cli, "YTM703")
    assert finding["severity"] == "warning"
    assert (finding["root"], finding["path"]) == ("workspace", LOGS)
    assert finding["fix"]["fixer"] == "mirror"
    assert finding["details"]["problem"] == "stale"
    assert "the last mirror finished 61 min ago (limit 60 min)" in finding["message"]
    world.configure(mirror={"stale_after_minutes": 120})
    assert scan(cli, "YTM703") == []


def test_a_failed_last_run_is_reported_with_its_reason(world, cli) -> None:
    write_log(world, 30)
    write_log(
        world,
        5,
        ok=False,
        status="partial",
        returncode=23,
        stderr=['rsync: [receiver] mkstemp "x" failed: Permission denied (13)'],
    )
    [finding] = scan(cli, "YTM703")
    details = finding["details"]
    assert details["problem"] == "failed"
    assert details["last_run"]["returncode"] == 23
    assert details["last_success"]["minutes_ago"] == pytest.approx(30, abs=1)
    assert (
        "failed: rsync exited 23 (partial transfer due to error): rsync: [receiver] mkstemp"
        in finding["message"]
    )
    assert "the last successful one finished 30 min ago" in finding["message"]


def test_a_refused_run_and_vanished_files(world, cli) -> None:
    write_log(world, 2, ok=False, status="refused", returncode=None, refused="the share is stub")
    [finding] = scan(cli, "YTM703")
    assert "failed: the share is stub; no successful mirror is recorded" in finding["message"]
    # rsync 24 (files vanished on Hot while being sent) is a successful mirror.
    write_log(world, 1, name_suffix="_2", ok=True, status="partial-vanished", returncode=24)
    assert scan(cli, "YTM703") == []


def test_dry_runs_do_not_count_and_old_logs_are_understood(world, cli) -> None:
    write_log(world, 1, run=False)  # a dry-run is not a mirror
    assert scan(cli, "YTM703") == []
    write_log(world, 90)
    assert scan(cli, "YTM703")[0]["details"]["problem"] == "stale"
    # workspaces_mirror.py's own format (seed 002): run and result.returncode only.
    legacy = write_log(world, 0.5, name_suffix="_3")
    legacy.write_text(json.dumps({"run": True, "result": {"returncode": 0}}), encoding="utf-8")
    assert scan(cli, "YTM703") == []  # timed by the stamp in its name
    (world.ws / LOGS / "workspaces_mirror__broken.json").write_text("{", encoding="utf-8")
    assert scan(cli, "YTM703") == []


def test_nothing_is_said_while_the_share_is_down(world, cli) -> None:
    write_log(world, 600)
    (world.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    assert scan(cli, "YTM703") == []


def test_the_mirror_fix_runs_only_when_selected_by_name(world, cli) -> None:
    # It rewrites the whole Vault: a bare `fix --run` leaves it out.
    write_log(world, 600)
    bare = cli("fix", "--json").json()
    [unfixable] = bare["plan"]["unfixable"]
    assert unfixable["rule"] == "YTM703"
    assert "runs only when selected by name" in unfixable["reason"]
    assert bare["plan"]["fixes"] == []
    for select in ("YTM7", "YTM703"):
        [fix] = cli("fix", "--select", select, "--json").json()["plan"]["fixes"]
        assert fix["fixer"] == "mirror" and fix["actions"][0]["op"] == "rsync"
    assert cli("fix", "--select", "YTM", "--json").json()["plan"]["fixes"] == []


def test_a_running_mirror_is_named(world, cli) -> None:
    write_log(world, 300)
    lock = Lock(world.report_dir / "mirror.lock", "mirror", command="ytm-doctor mirror --run")
    with lock:
        [finding] = scan(cli, "YTM703")
    assert "a mirror is running now (ytm-doctor mirror --run (pid" in finding["message"]
    assert finding["details"]["running"]


# --- YTM704 -----------------------------------------------------------------------------------


def lock_file(world, name: str = "mirror", **fields) -> Path:
    info = {
        "name": name,
        "host": "lenovo-gateway",
        "pid": 4242,
        "token": "t0",
        "started_at": time.time() - 7200,
        "heartbeat": time.time() - 7200,
        "command": f"ytm-doctor {name} --run",
    }
    info.update(fields)
    path = world.report_dir / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_lock_of_a_dead_process_on_this_host_is_a_finding(world, cli) -> None:
    pid = dead_pid()
    lock_file(world, "scan", host=socket.gethostname(), pid=pid, heartbeat=time.time())
    [finding] = scan(cli, "YTM704")
    assert (finding["root"], finding["path"]) == ("workspace", "logs/ops/ytm_doctor/scan.lock")
    assert f"owner pid {pid} on this host is gone" in finding["message"]
    assert finding["details"]["owner"]["pid"] == pid
    assert finding["fix"]["fixer"] == "clear-stale-lock"


def test_another_hosts_lock_is_stale_after_its_heartbeat_stops(world, cli) -> None:
    path = lock_file(world, heartbeat=time.time() - 5)
    assert scan(cli, "YTM704") == []
    lock_file(world, heartbeat=time.time() - 7200)
    [finding] = scan(cli, "YTM704")
    assert "no heartbeat from lenovo-gateway for 2 h" in finding["message"]
    world.configure(locks={"stale_after_sec": 10000})
    assert scan(cli, "YTM704") == []
    assert path.is_file()  # a scan only reads


def test_a_held_lock_is_no_finding(world, cli) -> None:
    with Lock(world.report_dir / "mirror.lock", "mirror"):
        assert scan(cli, "YTM704") == []


def test_a_silent_live_owner_is_reported_but_not_fixable(world, cli) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        born = psutil.Process(sleeper.pid).create_time()
        lock_file(world, host=socket.gethostname(), pid=sleeper.pid, started_at=born + 0.5)
        [finding] = scan(cli, "YTM704")
        assert "still runs but is silent" in finding["message"]
        assert finding["fix"] is None
        assert f"kill {sleeper.pid}" in finding["details"]["unfixable"]
    finally:
        os.kill(sleeper.pid, signal.SIGKILL)
        sleeper.wait()


def test_clear_stale_lock_renames_it_aside_and_undo_puts_it_back(world, cli) -> None:
    path = lock_file(world)
    before = path.read_bytes()
    assert cli("fix", "--select", "YTM704").code == 0
    assert path.read_bytes() == before  # the preview changed nothing
    run = cli("fix", "--select", "YTM704", "--run", "--json")
    assert run.code == 0, run.out + run.err
    [aside] = world.report_dir.glob("mirror.lock.stale_*")
    assert aside.read_bytes() == before and not path.exists()
    assert scan(cli, "YTM704") == []
    audit = (world.report_dir / "audit.jsonl").read_text().splitlines()
    assert json.loads(audit[-1])["applied"] == 1
    undo = cli("undo", run.json()["run_id"], "--run")
    assert undo.code == 0, undo.out
    assert path.read_bytes() == before


def test_a_lock_that_came_alive_after_planning_is_not_cleared(world, cli, tmp_path: Path) -> None:
    path = lock_file(world)
    plan = tmp_path / "plan.json"
    assert cli("fix", "--select", "YTM704", "--plan-out", str(plan)).code == 0
    lock_file(world, heartbeat=time.time())  # its owner is back and beating
    result = cli("apply", str(plan), "--run", "--json")
    assert result.code == 1
    [res] = result.json()["results"]
    assert res["status"] == "refused" and res["reasons"][0].startswith("stale: ")
    assert path.is_file()


def test_the_mirror_takes_over_a_stale_lock_the_scan_reported(world, cli) -> None:
    pid = dead_pid()
    lock_file(world, host=socket.gethostname(), pid=pid, heartbeat=time.time() - 5)
    assert len(scan(cli, "YTM704")) == 1
    result = cli("mirror", "--run")
    assert result.code == 0, result.err
    assert f"took over a stale mirror lock from ytm-doctor mirror --run (pid {pid}" in result.err
    assert scan(cli, "YTM704") == []


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_has_an_instance_of_each(tmp_path: Path, cli, monkeypatch) -> None:
    info = build_demo(tmp_path / "demo")
    assert {"YTM703", "YTM704"} <= set(info.instances)
    monkeypatch.chdir(info.dest)
    result = cli("--config", str(info.config), "--select", "YTM703,YTM704", "--json", "--no-save")
    findings = {f["rule"]: f for f in result.json()["findings"]}
    assert findings["YTM703"]["details"]["problem"] == "failed"
    assert findings["YTM704"]["path"] == "logs/ops/ytm_doctor/mirror.lock"


def test_a_mirror_run_offers_its_undo(world, cli) -> None:
    """What a mirror replaces on the Vault is kept, so its run prints the undo command."""
    write_log(world, 600)
    run = cli("fix", "--select", "YTM703", "--run")
    assert run.code == 0, run.out + run.err
    assert "1 applied" in run.out
    assert "undo:    ytm-doctor undo " in run.out


# --- YTM706 mirror-backups ----------------------------------------------------------------------


def test_ytm706_reports_what_mirrors_kept_on_the_share(world, cli) -> None:
    assert scan(cli, "YTM706") == []  # no mirror has replaced anything yet
    kept = world.share / "ytm_mirror_backups"
    (kept / "20261201T000000Z-aaaaaa/scripts").mkdir(parents=True)
    (kept / "20261201T000000Z-aaaaaa/scripts/a.md").write_bytes(b"x" * 1000)
    (kept / "20261202T000000Z-bbbbbb/audio").mkdir(parents=True)
    (kept / "20261202T000000Z-bbbbbb/audio/b.wav").write_bytes(b"y" * 2000)
    [finding] = scan(cli, "YTM706")
    assert finding["severity"] == "info"
    assert (finding["root"], finding["path"]) == ("share", "ytm_mirror_backups")
    assert finding["details"] == {"runs": 2, "bytes": 3000, "keep_days": 30}
    assert "2 mirror runs kept" in finding["message"] and "30 days" in finding["message"]
    (world.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    assert scan(cli, "YTM706") == []  # a stub's contents are not the share
