"""One fix, apply or undo --run at a time (`<report_dir>/fix.lock`), with real processes: a
second run waits for the first and then runs against what it left; one that finds the lock
still held after the wait does nothing, names the holder in one line and exits 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ytm_doctor.fix import run_lock
from ytm_doctor.fix.run_lock import WAIT_SECONDS
from ytm_doctor.lock import Lock

ALIAS = "/srv/x/lenovo_share"
VAULT_LINK = "share/ytm_workspaces/video/input/CH01/bgm"

SLOW_PLUGIN = textwrap.dedent(
    '''
    """test_slow_write(path, data, options={"seconds": s}): waits, then writes a new file."""

    import os
    import time

    from ytm_doctor import Operation, hookimpl
    from ytm_doctor.atomic import create_atomic


    class SlowWrite(Operation):
        name = "test_slow_write"
        needs = ("data", "options")

        def inverse(self, action, path, ex):
            return {"op": "test_slow_remove", "path": action.path.to_json()}

        def do(self, action, path, inverse, ex):
            time.sleep(action.options["seconds"])
            create_atomic(path, action.data)

        def inverse_problems(self, inverse, path, ex, freed):
            return [] if os.path.isfile(path) else [f"{path} is gone"]

        def undo(self, inverse, path, ex):
            os.unlink(path)


    @hookimpl
    def ytm_doctor_collect_operations():
        return [SlowWrite()]
    '''
)


def ytm(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ytm_doctor.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def slow_plan(world, name: str, rel: str, seconds: float) -> Path:
    action = {
        "op": "test_slow_write",
        "path": {"root": "workspace", "rel": rel},
        "data_b64": "aGVsbG8=",
        "options": {"seconds": seconds},
    }
    fix = {"fixer": "test", "rule": "T001", "title": f"write {rel}", "actions": [action]}
    plan = {"schema": "ytm-doctor.plan.v1", "created": "2026-01-01T00:00:00Z", "fixes": [fix]}
    path = world.root / name
    path.write_text(json.dumps(plan))
    return path


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def audit_lines(world) -> list[dict]:
    path = world.report_dir / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def plugin(world) -> str:
    path = world.root / "slow_ops.py"
    path.write_text(SLOW_PLUGIN)
    return os.fspath(path)


def test_a_second_apply_waits_for_the_first_and_then_runs(world, plugin):
    first = slow_plan(world, "first.json", "a.txt", 1.5)
    second = slow_plan(world, "second.json", "b.txt", 0)
    a = ytm("apply", os.fspath(first), "--run", "-p", plugin, cwd=world.root)
    wait_for(world.report_dir / "fix.lock")
    b = ytm("apply", os.fspath(second), "--run", "-p", plugin, cwd=world.root)
    code_a, out_a, err_a = finish(a)
    code_b, out_b, err_b = finish(b)
    assert (code_a, err_a) == (0, ""), out_a
    assert (code_b, err_b) == (0, ""), out_b
    assert (world.ws / "a.txt").read_text() == "hello"
    assert (world.ws / "b.txt").read_text() == "hello"
    records = audit_lines(world)
    assert [(r["argv"][1], r["applied"]) for r in records] == [
        (os.fspath(first), 1),
        (os.fspath(second), 1),
    ]
    assert not (world.report_dir / "fix.lock").exists()


def test_a_run_that_finds_the_lock_held_past_the_wait_does_nothing(world, plugin):
    plan = slow_plan(world, "plan.json", "a.txt", 0)
    holder = Lock(world.report_dir / "fix.lock", "fix", command="ytm-doctor fix --run (test)")
    holder.acquire()  # held by this test's process: a live owner
    try:
        started = time.monotonic()
        code, out, err = finish(
            ytm("apply", os.fspath(plan), "--run", "-p", plugin, cwd=world.root)
        )
        waited = time.monotonic() - started
    finally:
        holder.release()
    assert code == 1
    assert waited >= WAIT_SECONDS
    [line] = err.splitlines()
    assert line.startswith(f"ytm-doctor: apply: another fix, apply or undo holds {holder.path}: ")
    assert f"ytm-doctor fix --run (test) (pid {os.getpid()} on " in line
    assert line.endswith("; nothing done")
    assert out == ""
    assert not (world.ws / "a.txt").exists()
    assert list(world.report_dir.glob("journal__*")) == [] and audit_lines(world) == []


def test_undo_run_is_locked_too(world, plugin, cli, monkeypatch):
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.3)  # in process: no need to wait long
    plan = slow_plan(world, "plan.json", "a.txt", 0)
    applied = cli("apply", plan, "--run", "-p", plugin, "--json")
    assert applied.code == 0, applied.out
    run = applied.json()["run_id"]
    holder = Lock(world.report_dir / "fix.lock", "fix", command="ytm-doctor apply (test)")
    holder.acquire()
    try:
        busy = cli("undo", run, "--run", "-p", plugin)
        assert cli("undo", run, "-p", plugin).code == 0  # the preview takes no lock
    finally:
        holder.release()
    assert busy.code == 1 and "another fix, apply or undo holds" in busy.err
    assert busy.out == ""
    assert (world.ws / "a.txt").exists()  # not undone
    undone = cli("undo", run, "--run", "-p", plugin)
    assert (undone.code, undone.err) == (0, "")
    assert not (world.ws / "a.txt").exists()


def test_busy_with_json_says_so_on_stdout(world, plugin, cli, monkeypatch):
    monkeypatch.setattr(run_lock, "WAIT_SECONDS", 0.3)
    plan = slow_plan(world, "plan.json", "a.txt", 0)
    holder = Lock(world.report_dir / "fix.lock", "fix", command="ytm-doctor fix --run (test)")
    holder.acquire()
    try:
        busy = cli("apply", plan, "--run", "--json", "-p", plugin)
    finally:
        holder.release()
    assert busy.code == 1
    data = busy.json()
    assert data["status"] == "busy" and data["holder"]["pid"] == os.getpid()


def test_a_dead_runs_lock_is_taken_over(world, plugin):
    plan = slow_plan(world, "plan.json", "a.txt", 0)
    world.report_dir.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = int(dead.stdout)
    import socket

    now = time.time()
    (world.report_dir / "fix.lock").write_text(
        json.dumps(
            {
                "name": "fix",
                "host": socket.gethostname(),
                "pid": pid,
                "token": "t",
                "started_at": now - 60,
                "heartbeat": now - 60,
                "command": "ytm-doctor fix --run",
            }
        )
    )
    code, out, err = finish(ytm("apply", os.fspath(plan), "--run", "-p", plugin, cwd=world.root))
    assert code == 0, out
    [line] = err.splitlines()
    assert "took over a stale lock" in line and f"pid {pid}" in line
    assert audit_lines(world)[0]["event"] == "lock-takeover"


def test_two_fix_runs_at_once_never_interleave(world):
    r = world.root
    (r / "share/ytm_workspaces/video/input/CH01").mkdir(parents=True)
    (r / "share/asset_vault/bgm").mkdir(parents=True)
    (r / "share/asset_vault/bgm/a.mp3").write_bytes(b"song A" * 100)
    os.symlink(f"{ALIAS}/asset_vault/bgm", r / VAULT_LINK)
    world.configure(shared_storage={"host_aliases": [ALIAS]})
    runs = [ytm("fix", "--run", "--select", "YTM202", cwd=r) for _ in range(2)]
    results = [finish(p) for p in runs]
    for code, out, err in results:
        assert code in (0, 1), (out, err)
        assert "Traceback" not in err and "internal error" not in err
    assert os.readlink(r / VAULT_LINK) == "../../../../asset_vault/bgm"
    backups = [p for p in (r / VAULT_LINK).parent.iterdir() if ".symlink_shared_backup_" in p.name]
    assert len(backups) == 1  # renamed aside once, by one run
    records = audit_lines(world)
    assert len(records) == 2 and sum(rec["applied"] for rec in records) == 1
    # The second scanned and planned only once the first was done: nothing left to do.
    assert sum(rec["failed"] + rec["refused"] for rec in records) == 0
    assert not (world.report_dir / "fix.lock").exists()
