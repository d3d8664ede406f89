"""Mirror benchmark (SPEC §9): a no-op `ytm-doctor mirror --run` side by side with
`rsync -a --delete` of the same tree with the same excludes, both already in sync.

    python benchmarks/bench_mirror.py [--files 100000] [--repeat 5] [--keep DIR] [--nice N]

Builds a Hot workspace of --files files shaped like the factory's (scripts, audio, thumbnails,
generated images under video/runs, real dirs and share links under video/input), a share with a
Vault sentinel, and a second destination for the reference on the same filesystem. Both
destinations are brought in sync and caches warmed first (two untimed rounds), then, in
alternating order and --repeat times each (at least 3):
  rsync   `rsync -a --delete --filter='- /planning' HOT/ PLAIN/` (the reference: the mirror's
          excludes, under the same `nice` as the mirror's rsync)
  mirror  `ytm-doctor mirror --run` (delete-sync, filters, nice, timeout, lock, journal, log)
and prints the medians (wall and CPU of the child processes) and best wall times, the ratio
mirror / rsync next to its target (1.05), and a breakdown of the mirror's median run: rsync's
own time (from the run log), the walk of Hot for its links, and the rest (start-up, lock,
journal, log). --nice N sets YTM_MIRROR_NICE for the mirror and `nice -n N` for the reference
(the policy's 10 by default). The mirror runs a copy of the checkout installed as users install
it (benchmarks/installed.py), not the editable install of development. Python writes its
bytecode cache here as in any install, so no run compiles the modules again
(PYTHONDONTWRITEBYTECODE is dropped for the mirror).
"""

from __future__ import annotations

import argparse
import json
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

SENTINEL = ".ytm_vault_workspaces_root.json"


def build(base: Path, files: int) -> tuple[Path, Path, Path]:
    """Hot (`workspaces/`), the share, and the plain-rsync destination, `files` files in Hot."""
    hot, share, plain = base / "workspaces", base / "share", base / "plain"
    (share / "ytm_workspaces").mkdir(parents=True)
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    (share / "asset_vault" / "bgm").mkdir(parents=True)
    sentinel = {"schema": "ytm.vault_workspaces_root.v1", "namespace": "factory_commentary"}
    (share / "ytm_workspaces" / SENTINEL).write_text(json.dumps(sentinel))
    made = 0
    episode = 0
    while made < files:
        ch, video = f"CH{episode % 20 + 1:02d}", f"{episode // 20 + 1:03d}"
        ep = f"{ch}-{video}"
        per_episode = {
            f"scripts/{ch}/{video}/status.json": 1,
            f"scripts/{ch}/{video}/content/assembled_human.md": 1,
            f"audio/final/{ch}/{video}/{ep}.wav": 1,
            f"audio/final/{ch}/{video}/{ep}.srt": 1,
            f"thumbnails/assets/{ch}/{video}/v1/00_thumb.png": 1,
            f"video/input/{ch}/{ep}/images": 20,
            f"video/runs/{ep}__20260101T000000Z/images": 75,
        }
        for rel, count in per_episode.items():
            path = hot / rel
            if count == 1:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"x" * 64)
                made += 1
                continue
            path.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                (path / f"{i:04d}.png").write_bytes(b"p" * 128)
            made += count
        if episode % 10 == 0:  # an input that lives on the share (seed 001 §0.3)
            link = hot / "video" / "input" / ch / f"{ep}_shared"
            link.symlink_to(share / "asset_vault" / "bgm")
        episode += 1
    (base / "ytm-doctor.yaml").write_text(
        json.dumps(
            {
                "workspace_root": str(hot),
                "shared_storage": {
                    "root": str(share),
                    "require_mount": False,
                    "fallback_root": str(base / "outbox"),
                },
            }
        )
    )
    return hot, share, plain


TARGET = 1.05  # SPEC §9: a no-op mirror at most 1.05x the reference


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is user + system of every child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def last_log(hot: Path) -> dict:
    logs = sorted((hot / "logs" / "ops" / "workspaces_mirror").glob("workspaces_mirror__*.json"))
    return json.loads(logs[-1].read_text())


def commands(base: Path, nice: int) -> dict[str, list[str]]:
    hot, plain = base / "workspaces", base / "plain"
    rsync = shutil.which("rsync") or "rsync"
    niced = [shutil.which("nice") or "nice", "-n", str(nice)] if nice else []
    # The mirror's excludes (mirror.exclude: planning/); the reference deletes as rsync does
    # by default (--delete, during the transfer).
    reference = [rsync, "-a", "--delete", "--filter=- /planning", f"{hot}/", f"{plain}/"]
    return {
        "rsync": niced + reference,
        "mirror": [sys.executable, "-m", "ytm_doctor.cli", "mirror", "--run"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the tree here")
    parser.add_argument("--nice", type=int, default=10, help="YTM_MIRROR_NICE (default 10)")
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (medians)")

    base = Path(args.keep or tempfile.mkdtemp(prefix="ytm-bench-mirror-"))
    config = base / "ytm-doctor.yaml"
    if not config.exists():
        base.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        build(base, args.files)
        print(f"built {args.files} files in {time.perf_counter() - start:.1f}s under {base}")
    hot = base / "workspaces"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("YTM_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["YTM_DOCTOR_CONFIG"] = str(config)
    env["YTM_MIRROR_NICE"] = str(args.nice)
    argvs = commands(base, args.nice)
    install = Path(tempfile.mkdtemp(prefix="ytm-bench-install-"))
    try:
        env, what = installed_env(install, env)
        print(f"timing {what}")
        for _ in range(2):  # in sync, and warm caches, before anything is timed
            for argv in argvs.values():
                timed(argv, env)
        wall: dict[str, list[float]] = {name: [] for name in argvs}
        cpu: dict[str, list[float]] = {name: [] for name in argvs}
        inner: list[tuple[float, float, float]] = []  # mirror: (total, rsync, walk)
        names = list(argvs)
        for i in range(args.repeat):
            for name in names[i % 2 :] + names[: i % 2]:
                seconds, used = timed(argvs[name], env)
                wall[name].append(seconds)
                cpu[name].append(used)
                if name == "mirror":
                    log = last_log(hot)
                    inner.append((seconds, log["rsync_seconds"], log["links"]["walk_seconds"]))
        report(args, wall, cpu, inner)
    finally:
        shutil.rmtree(install, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def report(args, wall, cpu, inner) -> None:
    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    best = {k: min(v) for k, v in wall.items()}
    print(
        f"no-op mirror of {args.files} files, {args.repeat} runs each (alternating), "
        f"nice {args.nice} for both rsyncs"
    )
    print(f"{'':<8}{'median':>10}{'best':>10}{'cpu med':>10}")
    for name in wall:
        print(f"{name:<8}{med[name]:>9.3f}s{best[name]:>9.3f}s{med_cpu[name]:>9.3f}s")
    ratio = med["mirror"] / med["rsync"]
    verdict = "ok" if ratio <= TARGET else "over"
    what = "mirror / rsync -a --delete, median wall"
    print(f"ratio   {ratio:>10.3f}  {what} (target <= {TARGET}: {verdict})")
    ratio_best, ratio_cpu = best["mirror"] / best["rsync"], med_cpu["mirror"] / med_cpu["rsync"]
    print(f"        {ratio_best:>10.3f}  best wall; median CPU {ratio_cpu:.3f}")
    # The run with the median wall time, and where its time went.
    total, rsync, walk = sorted(inner)[len(inner) // 2]
    print(
        f"median mirror run {total:.3f}s: rsync {rsync:.3f}s, walk of Hot for its links "
        f"{walk:.3f}s, the rest (start-up, lock, journal, log) {total - rsync - walk:.3f}s"
    )
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
