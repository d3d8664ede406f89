"""YTM707 and remove-abandoned-temps on real trees, with a real process killed mid-copy: the
temp of a dead process of this host is reported and removed (by name only, not undoable);
a live process's temp is not reported; another host's is reported only once old, and never
removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from ytm_doctor.temps import TEMP_MARK, host_tag

CODE = "YTM707"
STORE = "share/uploads/factory_commentary/audio_final/CH02/012"


def temp(factory, rel_dir: str, host: str, pid: int, data: bytes = b"partial") -> str:
    name = f".CH02-012.wav{TEMP_MARK}{host}-{pid}-abcdef"
    factory.write(f"{rel_dir}/{name}", data)
    return f"{rel_dir}/{name}"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_store_copys_temp_is_reported_and_removed_by_name(factory):
    src = factory.write("ws/audio/final/CH02/012/CH02-012.wav", b"RIFF" + os.urandom(1 << 20))
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": True})
    script = (
        "import os, sys\n"
        "from ytm_doctor.store import copy\n"
        "real = copy.read_into\n"
        "def slow(*a, **k):\n"
        "    n = real(*a, **k)\n"
        "    os.kill(os.getpid(), 9)\n"
        "    return n\n"
        "copy.read_into = slow\n"
        "from ytm_doctor.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    proc = subprocess.run(
        [sys.executable, "-c", script, "store", "--src", str(src), "--run"],
        cwd=factory.root,
        env=env,
        capture_output=True,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    [finding] = factory.scan(CODE)
    assert finding["severity"] == "warning" and finding["details"]["owner_gone"] is True
    assert finding["path"].startswith("uploads/factory_commentary/audio_final/CH02/012/.")
    left = factory.root / "share" / finding["path"]
    assert left.exists()

    before = factory.tree()
    bare = factory.cli("fix", "--json")  # not undoable: only when selected by name
    assert all(f["fixer"] != "remove-abandoned-temps" for f in bare.json()["plan"]["fixes"])
    assert factory.tree() == before
    run = factory.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert not left.exists()
    assert src.exists()  # the source was never touched
    assert factory.scan(CODE) == []
    undo = factory.cli("undo", run["run_id"], "--run")
    assert undo.code == 1 and "removed, not kept" in undo.out


def test_a_live_process_temp_is_not_reported_and_anothers_host_only_when_old(factory):
    temp(factory, STORE, host_tag(), os.getppid())  # a live process of this host
    other = temp(factory, STORE, "gateway", 4242)
    assert factory.scan(CODE) == []  # another host's, written just now: may be running
    old = time.time() - 7 * 3600
    os.utime(factory.root / other, (old, old))
    [finding] = factory.scan(CODE)
    assert finding["details"]["host"] == "gateway"
    assert finding["details"]["unfixable"].startswith("its process (pid 4242 on gateway)")


def test_the_fix_rechecks_the_owner_when_it_runs(factory):
    """A plan edited to remove a live process's temp is refused when it runs, whatever it says."""
    import json

    dead = temp(factory, STORE, host_tag(), dead_pid())
    live = temp(factory, STORE, host_tag(), os.getppid(), b"being written")
    plan_path = factory.save_plan(CODE)
    plan = json.loads(plan_path.read_text())
    [fix] = plan["fixes"]
    fix["actions"][0]["path"]["rel"] = live.removeprefix("share/")
    fix["preconditions"] = []
    plan_path.write_text(json.dumps(plan))
    result = factory.apply(plan_path, "--json")
    assert result.code == 1, result.out + result.err
    [res] = result.json()["results"]
    assert any("may be alive" in r for r in res["reasons"]), res
    assert (factory.root / live).read_bytes() == b"being written"
    assert (factory.root / dead).exists()
