"""Scan benchmark (SPEC §9): ytm-doctor side by side with `find -xtype l` on one generated tree.

    python benchmarks/bench_scan.py [--entries 1000000] [--repeat 3] [--keep DIR]

Builds a Hot workspace and a Vault copy (half the entries each; about 2 % symlinks, some of them
dangling) in a temporary directory, then times in the same run, --repeat rounds with every
contender once per round, in rotating order (so a busy moment of a shared machine hits them alike):
  find      `find WS VAULT -xtype l` (the reference)
  scandir   a bare Python os.scandir walk that only tests links (the floor for Python)
  doctor    `ytm-doctor --json --no-save` with every built-in check (target: 0.6x find)
  probe     ytm-doctor with only a dangling-link probe plugin (the engine's own cost)
(ytm-doctor with its bytecode cached, as an installed copy runs, after one untimed warm-up run,
and with the disk thresholds at 0 unless --host-disk: a host's free space must not move figures)
and prints for each the median wall time, its ratio to find's median next to the target, the
median CPU time (user + sys: less disturbed by other processes than wall time) and the peak RSS
(target: under 100 MiB) of the worst round.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from installed import installed_env

HERE = Path(__file__).resolve().parent
PROBE = HERE / "dangling_link_probe.py"


def build_tree(base: Path, entries: int, seed: int = 7) -> tuple[Path, Path]:
    """A workspace and a share/ytm_workspaces, about entries/2 entries each."""
    rng = random.Random(seed)
    ws = base / "workspaces"
    share = base / "share"
    vault = share / "ytm_workspaces"
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    for side in (ws, vault):
        build_side(side, entries // 2, rng)
    return ws, share


def build_side(side: Path, count: int, rng: random.Random) -> None:
    """About `count` entries under `side`: run folders of 48 images, the first of each a
    dangling symlink (about 2 % of the entries)."""
    made = 0
    run = 0
    while made < count:
        ch = f"CH{rng.randrange(1, 30):02d}"
        run_dir = side / "video" / "runs" / f"{ch}-{run % 1000:03d}__{run:06d}" / "images"
        run_dir.mkdir(parents=True, exist_ok=True)
        made += 1
        for i in range(48):
            name = run_dir / f"{i:04d}.png"
            if i % 50 == 0:
                target = f"../../{run - 1:06d}/missing.png" if i % 100 == 0 else f"{i + 1:04d}.png"
                os.symlink(target, name)
            else:
                with open(name, "wb") as fh:
                    fh.write(b"x")
            made += 1
        run += 1


def scandir_links(roots: list[str]) -> int:
    dangling = 0
    stack = list(roots)
    while stack:
        path = stack.pop()
        with os.scandir(path) as it:
            for de in it:
                if de.is_symlink():
                    if not os.path.exists(de.path):
                        dangling += 1
                elif de.is_dir(follow_symlinks=False):
                    stack.append(de.path)
    return dangling


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + sys) and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.strip()}")
    rss = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    return elapsed, usage.ru_utime + usage.ru_stime, rss


@dataclass
class Row:
    name: str
    cmd: list[str]
    env: dict[str, str] | None = None
    target: float | None = None  # ratio to find's wall time; None: a reference row
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss_kib: int = 0

    def run_once(self) -> None:
        wall, cpu, rss = timed(self.cmd, self.env)
        self.walls.append(wall)
        self.cpus.append(cpu)
        self.rss_kib = max(self.rss_kib, rss)


# Targets of the scan (issue 13): every check at most 0.6x find, peak RSS under 100 MiB.
TARGET_RATIO = 0.6
TARGET_RSS_MIB = 100.0


def print_table(rows: list[Row], what: str) -> None:
    ref = median(rows[0].walls)
    print(f"\nscan of {what}; medians of {len(rows[0].walls)} rounds")
    head = f"{'contender':<30}{'wall s':>8}{'vs find':>9}{'target':>11}{'cpu s':>8}"
    print(head + f"{'peak RSS MiB':>14}{'target':>10}")
    for row in rows:
        wall = median(row.walls)
        ratio = wall / ref
        rss = row.rss_kib / 1024
        if row.target is None:
            target = rss_target = "-"
        else:
            target = f"{row.target:.2f} " + ("ok" if ratio <= row.target else "MISS")
            rss_target = f"{TARGET_RSS_MIB:.0f} " + ("ok" if rss < TARGET_RSS_MIB else "MISS")
        print(
            f"{row.name:<30}{wall:>8.3f}{ratio:>9.2f}{target:>11}{median(row.cpus):>8.3f}"
            f"{rss:>14.1f}{rss_target:>10}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the tree here")
    parser.add_argument(
        "--host-disk",
        action="store_true",
        help="keep the disk thresholds: on a host whose disk is below disk.warn_free_gib, "
        "YTM406 also sizes runs for up to 0.3 s",
    )
    args = parser.parse_args()

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ytm-bench-"))
    install = Path(tempfile.mkdtemp(prefix="ytm-bench-install-"))
    try:
        ws, share = base / "workspaces", base / "share"
        built = not ws.exists()
        if built:
            t0 = time.perf_counter()
            build_tree(base, args.entries)
            print(f"built {args.entries:,} entries in {time.perf_counter() - t0:.1f}s under {base}")
        roots = [str(ws), str(share / "ytm_workspaces")]
        doctor = [
            sys.executable,
            "-m",
            "ytm_doctor.cli",
            "--workspace-root",
            str(ws),
            "--share-root",
            str(share),
            "--set",
            "shared_storage.require_mount=false",
            "--json",
            "--no-save",
        ]
        if not args.host_disk:
            # The figures must not depend on the free space of the host's disk: below
            # disk.warn_free_gib, YTM406 spends a fixed time budget sizing runs.
            doctor += ["--set", "disk.warn_free_gib=0", "--set", "disk.stop_free_gib=0"]
        env = dict(os.environ, YTM_DOCTOR_DISABLE_PLUGIN_AUTOLOAD="1")
        # Timed as installed: pip writes the bytecode of what it installs, but a checkout run
        # under PYTHONDONTWRITEBYTECODE compiles every module again on each start (some
        # 0.3 s of CPU per run here). The untimed warm-up run below writes the cache.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env, what_ran = installed_env(install, env)  # not the editable checkout's import hook
        print(f"timing {what_ran}")
        probe = [*doctor, "-p", str(PROBE), "--select", "BENCH"]
        for cmd in (doctor, probe):
            subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=False)
        # Warm the page cache so every contender reads the same cached metadata.
        subprocess.run(["find", *roots], stdout=subprocess.DEVNULL, check=True)

        rows = [
            Row("find -xtype l", ["find", *roots, "-xtype", "l"]),
            Row(
                "python scandir (links only)", [sys.executable, __file__, "--scandir-only", *roots]
            ),
            Row("ytm-doctor (all checks)", doctor, env, TARGET_RATIO),
            Row(
                "ytm-doctor (link probe only)",
                [*doctor, "-p", str(PROBE), "--select", "BENCH"],
                env,
            ),
        ]
        for i in range(args.repeat):
            # Each round in another order, so no contender always runs right after another
            # (find leaves the kernel's caches in its own state).
            for row in rows[i % len(rows) :] + rows[: i % len(rows)]:
                row.run_once()
        what = f"{args.entries:,} entries" if built else f"the tree kept at {base}"
        print_table(rows, what + (", host disk thresholds" if args.host_disk else ""))
    finally:
        shutil.rmtree(install, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--scandir-only":
        scandir_links(sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
