"""Network benchmark: the Vault over a real fuse.sshfs mount, side by side with `find -xtype l`.

    python benchmarks/bench_network.py [--entries 100000] [--delay-ms 1] [--repeat 3] [--keep DIR]

Builds a Vault (bench_scan.py's shape: runs/images, about 2 % symlinks, some dangling) on the
local side, serves it with an sshd of our own on 127.0.0.1 through a proxy that delays every
chunk by --delay-ms each way, mounts it with sshfs (benchmarks/netmount.py) and times in the same
run, each on a fresh mount (cold caches), median of --repeat:
  find      `find MOUNT -xtype l`
  doctor-1  ytm-doctor scanning the Vault over the mount with `scan.threads=1`
  doctor    the same with the thread count chosen automatically (the target: at most 0.35x find)
and says whether both scans found the same findings. The share root is the mount itself, so the
share is online exactly as a mounted Vault is (no `require_mount` override). Skips with one line
(exit 0) where sshfs, sshd or /dev/fuse is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scan import build_side  # noqa: E402
from netmount import LoopbackSshfs, missing_tools  # noqa: E402

TARGET = 0.35


def build_vault(base: Path, entries: int) -> tuple[Path, Path]:
    """A share holding a Vault of about `entries` entries, and an empty local workspace."""
    ws = base / "workspaces"
    share = base / "share"
    ws.mkdir(parents=True)
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    build_side(share / "ytm_workspaces", entries, random.Random(7))
    return ws, share


def doctor_command(ws: Path, share: Path, threads: int | None) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "ytm_doctor.cli",
        "--workspace-root",
        str(ws),
        "--share-root",
        str(share),
        "--json",
        "--no-save",
        # The free-space check reads the shared local disk, whose figure moves between runs and
        # is no part of the walk: off, so both scans' findings can be compared exactly.
        "--set",
        "disk.stop_free_gib=0",
        "--set",
        "disk.warn_free_gib=0",
    ]
    if threads is not None:
        cmd += ["--set", f"scan.threads={threads}"]
    return cmd


def scan(cmd: list[str]) -> tuple[float, dict]:
    """Wall seconds and the JSON report of one ytm-doctor run."""
    env = dict(os.environ, YTM_DOCTOR_DISABLE_PLUGIN_AUTOLOAD="1")
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ytm-doctor failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed, json.loads(proc.stdout)


def findings_of(report: dict) -> set[tuple[str, str, str, str]]:
    return {(f["rule"], f["root"], f["path"], f["message"]) for f in report["findings"]}


def run_find(mount: Path) -> float:
    start = time.perf_counter()
    # sshfs answers EPERM for a link into a directory that does not exist: find reports such
    # links on stderr and exits 1, after walking everything.
    proc = subprocess.run(
        ["find", str(mount), "-xtype", "l"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"find failed ({proc.returncode})")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--delay-ms", type=float, default=1.0, help="per chunk, each way")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the tree here")
    args = parser.parse_args()

    # A SIGTERM unwinds like Ctrl-C, so the finally below still unmounts and stops everything.
    signal.signal(signal.SIGTERM, _interrupt)
    why = missing_tools()
    if why is not None:
        print(f"bench_network: skipped: {why}")
        return 0
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ytm-netbench-"))
    base = base.resolve()
    mount = LoopbackSshfs(base / "share", base / "mnt", args.delay_ms)
    try:
        ws = base / "workspaces"
        if not ws.exists():
            t0 = time.perf_counter()
            build_vault(base, args.entries)
            print(f"built a Vault of {args.entries:,} entries in {time.perf_counter() - t0:.1f}s")
        mount.start_server()
        mount.mount()
        print(f"delay: {args.delay_ms:g} ms per chunk each way; Vault entries: {args.entries:,}")
        print(f"sshfs -o {','.join(mount.options())}")
        print("each timed run on a fresh mount (cold sshfs and kernel caches)", flush=True)
        times: dict[str, list[float]] = {"find": [], "doctor-1": [], "doctor": []}
        found: dict[str, list[set]] = {}
        walked = {}
        for n in range(1, args.repeat + 1):
            mount.remount()
            times["find"].append(run_find(mount.path))
            for name, threads in (("doctor-1", 1), ("doctor", None)):
                mount.remount()
                secs, report = scan(doctor_command(ws, mount.path, threads))
                times[name].append(secs)
                found.setdefault(name, []).append(findings_of(report))
                walked[name] = report["config"]["walks"].get("vault", {})
            figures = ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items())
            print(f"run {n}/{args.repeat}: {figures}", flush=True)
        report_rows(times, walked, found)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    finally:
        mount.close()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def report_rows(times: dict[str, list[float]], walked: dict, found: dict[str, list[set]]) -> None:
    med = {name: statistics.median(values) for name, values in times.items()}
    labels = {
        "find": "find MOUNT -xtype l",
        "doctor-1": "ytm-doctor, scan.threads=1",
        "doctor": "ytm-doctor, automatic threads",
    }
    print(f"\n{'contender':<32}{'median s':>10}{'vs find':>9}  runs")
    for name, label in labels.items():
        runs = " ".join(f"{t:.2f}" for t in times[name])
        print(f"{label:<32}{med[name]:>10.3f}{med[name] / med['find']:>9.2f}  {runs}")
    auto = walked.get("doctor", {})
    print(
        f"Vault walk: {auto.get('entries', '?')} entries, {auto.get('dirs', '?')} dirs, "
        f"automatic threads: {auto.get('threads', '?')}"
    )
    ratio = med["doctor"] / med["find"]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"target: automatic threads at most {TARGET}x find: {ratio:.2f}x, {verdict}")
    first = found["doctor-1"][0]
    same = all(f == first for runs in found.values() for f in runs)
    print(
        f"findings identical, threaded vs single-threaded (every run): {'yes' if same else 'NO'} "
        f"({len(found['doctor'][0])} vs {len(first)})"
    )


if __name__ == "__main__":
    sys.exit(main())
