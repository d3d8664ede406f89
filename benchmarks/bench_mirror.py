"""Mirror benchmark (SPEC §9): a no-op `ytm-doctor mirror --run` side by side with plain
`rsync -a` of the same tree, both already in sync.

    python benchmarks/bench_mirror.py [--files 100000] [--repeat 5] [--keep DIR]

Builds a Hot workspace of --files files shaped like the factory's (scripts, audio, thumbnails,
generated images under video/runs, real dirs and share links under video/input), a share with a
Vault sentinel, and a second destination for plain rsync. Both destinations are brought in sync
first (untimed), then, in rotating order and --repeat times each:
  rsync     `rsync -a HOT/ PLAIN/` (the target: the mirror within 5 % of it)
  delete    `rsync -a --delete-after HOT/ PLAIN/` (the same with delete-sync, for context)
  mirror    `ytm-doctor mirror --run` (delete-sync, filters, nice, timeout, lock, journal, log)
and prints the median and best wall times, the mirror's ratio to plain rsync, and how much of
the mirror's time rsync itself took (from its run log). --nice N sets YTM_MIRROR_NICE (the
policy's 10 by default; on a busy machine a nice rsync is a slower rsync, by design).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def rsync_seconds(hot: Path) -> float:
    logs = sorted((hot / "logs" / "ops" / "workspaces_mirror").glob("workspaces_mirror__*.json"))
    return float(json.loads(logs[-1].read_text())["rsync_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the tree here")
    parser.add_argument("--nice", type=int, help="YTM_MIRROR_NICE for the mirror")
    args = parser.parse_args()

    base = Path(args.keep or tempfile.mkdtemp(prefix="ytm-bench-mirror-"))
    config = base / "ytm-doctor.yaml"
    if not config.exists():
        base.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        hot, _share, plain = build(base, args.files)
        print(f"built {args.files} files in {time.perf_counter() - start:.1f}s under {base}")
    else:
        hot, plain = base / "workspaces", base / "plain"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    env["YTM_DOCTOR_CONFIG"] = str(config)
    if args.nice is not None:
        env["YTM_MIRROR_NICE"] = str(args.nice)
    rsync = shutil.which("rsync") or "rsync"
    commands = {
        "rsync": [rsync, "-a", f"{hot}/", f"{plain}/"],
        "delete": [rsync, "-a", "--delete-after", f"{hot}/", f"{plain}/"],
        "mirror": [sys.executable, "-m", "ytm_doctor.cli", "mirror", "--run"],
    }
    try:
        for _ in range(2):  # in sync, and warm caches, before anything is timed
            for argv in commands.values():
                timed(argv, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        inner: list[float] = []
        names = list(commands)
        for i in range(args.repeat):
            for name in names[i % 3 :] + names[: i % 3]:
                times[name].append(timed(commands[name], env))
                if name == "mirror":
                    inner.append(rsync_seconds(hot))
        med = {k: statistics.median(v) for k, v in times.items()}
        best = {k: min(v) for k, v in times.items()}
        print(f"no-op mirror of {args.files} files, {args.repeat} runs each (rotating order)")
        print(f"{'':<8}{'median':>10}{'best':>10}")
        for name in names:
            print(f"{name:<8}{med[name]:>9.3f}s{best[name]:>9.3f}s")
        ratio = med["mirror"] / med["rsync"], best["mirror"] / best["rsync"]
        print(f"{'ratio':<8}{ratio[0]:>10.3f}{ratio[1]:>10.3f}   mirror / rsync (target <= 1.05)")
        print(
            f"inside the mirror, rsync itself: median {statistics.median(inner):.3f}s; "
            f"ytm-doctor's own share: {med['mirror'] - statistics.median(inner):.3f}s"
        )
        print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
