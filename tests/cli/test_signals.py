"""Signals and closed pipes, with real processes (`python -m ytm_doctor`, what the console
script runs): SIGTERM unwinds like Ctrl-C (exit 2, locks released, a fix rolled back and
audited), Ctrl-C at any moment is one line, and a reader that goes away ends the run quietly.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SLOW_CHECK = textwrap.dedent(
    '''
    """A check that takes its time after the walk, so a signal surely lands mid-scan."""

    import time
    from pathlib import Path

    from ytm_doctor.decorator import check


    @check("SLOW001", "slow-check")
    def slow(ctx):
        """waits after the walk"""
        Path("scanning.marker").touch()
        time.sleep(60)
        return []
    '''
)

SLOW_OP = textwrap.dedent(
    '''
    """test_slow_write: marks that it runs, then waits (a fix interrupted mid-action)."""

    import time
    from pathlib import Path

    from ytm_doctor import Operation, hookimpl


    class SlowWrite(Operation):
        name = "test_slow_write"
        needs = ("data",)

        def inverse(self, action, path, ex):
            return {"op": "test_slow_remove", "path": action.path.to_json()}

        def do(self, action, path, inverse, ex):
            Path("fixing.marker").touch()
            time.sleep(60)


    @hookimpl
    def ytm_doctor_collect_operations():
        return [SlowWrite()]
    '''
)


def start(*args: str, cwd: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ytm_doctor", *args],
        cwd=cwd,
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def ended(proc: subprocess.Popen, timeout: float = 30.0) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


@pytest.mark.parametrize(
    ("signum", "word"), [(signal.SIGTERM, "interrupted by SIGTERM"), (signal.SIGINT, "interrupted")]
)
def test_a_signal_mid_scan_exits_2_and_releases_the_scan_lock(world, signum, word):
    (world.root / "slow_check.py").write_text(SLOW_CHECK)
    proc = start("-p", "slow_check.py", cwd=world.root)
    wait_for(world.root / "scanning.marker", proc)
    assert (world.report_dir / "scan.lock").exists()  # held: a saving scan, mid-way
    proc.send_signal(signum)
    code, err = ended(proc)
    assert code == 2
    assert err == f"ytm-doctor: {word}\n"
    assert not (world.report_dir / "scan.lock").exists()
    assert world.saved_reports() == []  # an interrupted scan saves nothing


def test_sigterm_mid_fix_rolls_it_back_audits_and_releases_the_lock(world):
    (world.root / "slow_op.py").write_text(SLOW_OP)
    actions = [
        {"op": "mkdir", "path": {"root": "workspace", "rel": "made"}},
        {"op": "test_slow_write", "path": {"root": "workspace", "rel": "made/f"}, "data_b64": ""},
    ]
    fix = {"fixer": "test", "rule": "T001", "title": "slow", "actions": actions}
    plan = {"schema": "ytm-doctor.plan.v1", "created": "2026-01-01T00:00:00Z", "fixes": [fix]}
    (world.root / "plan.json").write_text(json.dumps(plan))
    proc = start("apply", "plan.json", "--run", "-p", "slow_op.py", cwd=world.root)
    wait_for(world.root / "fixing.marker", proc)
    assert (world.ws / "made").is_dir() and (world.report_dir / "fix.lock").exists()
    proc.send_signal(signal.SIGTERM)
    code, err = ended(proc)
    assert (code, err) == (2, "ytm-doctor: interrupted by SIGTERM\n")
    assert not (world.ws / "made").exists()  # the mkdir before it was reverted
    assert not (world.report_dir / "fix.lock").exists()
    [record] = [json.loads(x) for x in (world.report_dir / "audit.jsonl").read_text().splitlines()]
    assert record["interrupted"] is True and record["applied"] == 0


def entry(kind: str) -> list[str]:
    """How a user starts it: the console script (beside this interpreter), or `python -m`."""
    script = Path(sys.executable).with_name("ytm-doctor")
    if kind == "script":
        if not script.exists():
            pytest.skip("no console script beside this interpreter")
        return [os.fspath(script)]
    return [sys.executable, "-m", "ytm_doctor"]


def started(proc: subprocess.Popen) -> None:
    """Wait until ytm_doctor.__main__ has run (it is the one to catch SIGTERM): before that
    the interpreter itself is starting, which no program of it can make quiet."""
    status = Path(f"/proc/{proc.pid}/status")
    if not status.exists():
        time.sleep(0.1)  # not Linux: the interpreter's start is over by then
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError, StopIteration):
            caught = next(x for x in status.read_text().splitlines() if x.startswith("SigCgt"))
            if int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
                return
        time.sleep(0.001)


@pytest.mark.parametrize("kind", ["script", "module"])
@pytest.mark.parametrize(
    ("signum", "word"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "interrupted by SIGTERM")]
)
@pytest.mark.parametrize("delay", [0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.3, 0.5])
def test_a_signal_at_any_moment_of_a_run_is_one_line(world, kind, signum, word, delay):
    proc = subprocess.Popen(
        [*entry(kind), "list"],
        cwd=world.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started(proc)
    time.sleep(delay)
    proc.send_signal(signum)
    code, err = ended(proc)
    assert "Traceback" not in err
    if code != 0:  # else it was done before the signal came
        assert (code, err) == (2, f"ytm-doctor: {word}\n")


@pytest.mark.parametrize("args", [("list",), ("--no-save",), ("--no-save", "--json"), ("fix",)])
def test_a_reader_gone_before_the_first_line_ends_the_run_quietly(world, args):
    read, write = os.pipe()
    os.close(read)  # nobody will ever read: the first write fails
    try:
        proc = start(*args, cwd=world.root, stdout=write)
    finally:
        os.close(write)
    code, err = ended(proc)
    assert err == ""
    assert code == 141  # as git's, killed by SIGPIPE: the output was cut


def test_a_saving_scan_whose_reader_went_away_still_saves_its_report(world):
    read, write = os.pipe()
    os.close(read)
    try:
        proc = start(cwd=world.root, stdout=write)
    finally:
        os.close(write)
    code, err = ended(proc)
    assert (code, err) == (141, "")
    assert (world.report_dir / "latest.json").is_file()
    assert not (world.report_dir / "scan.lock").exists()


def test_list_piped_into_head_says_nothing_on_stderr(world):
    command = f"'{sys.executable}' -m ytm_doctor list | head -1"
    proc = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        cwd=world.root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stderr == ""
    assert len(proc.stdout.splitlines()) == 1
    assert proc.returncode in (0, 141)  # 141 when the pipe broke before everything was written


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_a_signal_caught_where_python_cannot_raise_it_is_delivered_again(signame):
    """A signal whose exception comes up in a __del__ (or a weakref callback) reaches Python's
    unraisable hook, where it cannot be raised: the hook sends it again, and the run still
    ends as interrupted, with no "Exception ignored" traceback."""
    script = textwrap.dedent(
        f"""
        import signal, sys, time
        from ytm_doctor.cli import Terminated, install_signal_handlers

        install_signal_handlers()
        exc = Terminated if "{signame}" == "SIGTERM" else KeyboardInterrupt

        class Dropped:
            def __del__(self):
                raise exc()

        try:
            Dropped()  # its exception goes to sys.unraisablehook
            time.sleep(10)
            print("not interrupted")
        except KeyboardInterrupt as caught:
            print(type(caught).__name__)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    expected = "Terminated" if signame == "SIGTERM" else "KeyboardInterrupt"
    assert proc.stdout.strip() == expected
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
