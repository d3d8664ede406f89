"""Start-up benchmark: wall time of `ytm-doctor --version` and of a scan of the demo, next to
`python -c pass` (the interpreter's own start-up, the floor) and their targets.

    python benchmarks/bench_startup.py [--repeat 10] [--keep DIR]

Builds the demo (`ytm-doctor demo --dest TMP`, untimed), then runs, in rotating order and
--repeat times each:
  floor     `python -c pass` (this interpreter, so the same site-packages and .pth files)
  version   `ytm-doctor --version`                                  (target < 0.15 s)
  scan      `ytm-doctor --config TMP/ytm-doctor.yaml --no-save`     (target < 0.25 s; exit 1)
  saving    the same scan saving its reports (latest.json, latest.html), for context
and prints the median and best wall times of each, each one's median minus the floor, and the
median CPU time (user + system; steadier than wall time on a busy machine).
The console script is the one next to this interpreter (the venv's), running a copy of the
checkout installed as users install it (benchmarks/installed.py: not the editable install of
development, whose import hook costs every start), as a user would run it: with bytecode caches
(PYTHONDONTWRITEBYTECODE is dropped, and the untimed first run of each writes any missing).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installed import installed_env

TARGETS = {"version": 0.15, "scan": 0.25}
ZERO_THRESHOLDS = ("--set", "disk.stop_free_gib=0", "--set", "disk.warn_free_gib=0")


def console_script() -> str:
    """The venv's ytm-doctor, else the one on PATH."""
    here = Path(sys.executable).parent / "ytm-doctor"
    found = str(here) if here.is_file() else shutil.which("ytm-doctor")
    if found is None:
        sys.exit("bench_startup: no ytm-doctor console script (pip install -e . first)")
    return found


def timed(argv: list[str], expect: int, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    if done.returncode != expect:
        sys.exit(
            f"bench_startup: {' '.join(argv)} exited {done.returncode}, expected {expect}: "
            f"{done.stderr.decode(errors='replace').strip()}"
        )
    return elapsed, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs of each (default 10)")
    parser.add_argument("--keep", metavar="DIR", help="build the demo here and keep it")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    exe = console_script()
    # As a user runs it: with bytecode caches (the untimed first runs write any that are
    # missing). Without them, compiling ytm-doctor's sources costs more than all the rest.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ytm-bench-startup-"))
    demo = base / "demo"
    try:
        env, what = installed_env(base, env)
        print(f"timing {what}")
        shutil.rmtree(demo, ignore_errors=True)
        subprocess.run([exe, "demo", "--dest", str(demo)], check=True, capture_output=True)
        runs = {
            "floor": ([sys.executable, "-c", "pass"], 0),
            "version": ([exe, "--version"], 0),
            # Exit 1: the demo plants violations on purpose.
            "scan": ([exe, "--config", str(demo / "ytm-doctor.yaml"), "--no-save"], 1),
            # For context: the default scan, which saves its reports (JSON and the HTML page).
            # The thresholds at 0: this scan writes, and the demo's stop threshold may exceed
            # the free space of the machine.
            "saving": (
                [exe, "--config", str(demo / "ytm-doctor.yaml"), "-q", *ZERO_THRESHOLDS],
                1,
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        for argv, expect in runs.values():
            timed(argv, expect, env)  # the page cache and the bytecode caches, untimed
        order = list(runs)
        for i in range(args.repeat):
            for name in order[i % len(order) :] + order[: i % len(order)]:
                argv, expect = runs[name]
                wall, cpu = timed(argv, expect, env)
                times[name].append(wall)
                cpus[name].append(cpu)
        floor = statistics.median(times["floor"])
        print(f"start-up, {args.repeat} runs each (rotating order), wall time")
        print(f"{'':<9}{'median':>9}{'best':>9}{'- floor':>9}{'cpu':>9}   target")
        for name, values in times.items():
            median = statistics.median(values)
            target = TARGETS.get(name)
            aim = f"< {target:.2f}s ({'met' if median < target else 'NOT met'})" if target else ""
            above = f"{median - floor:>8.3f}s" if name != "floor" else f"{'':>9}"
            cpu = statistics.median(cpus[name])
            print(f"{name:<9}{median:>8.3f}s{min(values):>8.3f}s{above}{cpu:>8.3f}s   {aim}")
        print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
