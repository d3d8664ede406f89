"""Planted for the mirror checks: YTM703 mirror-stale, YTM704 stale-lock, YTM706 mirror-backups."""

from __future__ import annotations

from datetime import timedelta

from ytm_doctor.demo.files import write_bytes, write_json
from ytm_doctor.demo.tree_hot import mirror_log_rel, write_mirror_log
from ytm_doctor.demo.world import NAMESPACE, DemoBuild, Family


def plant_ytm703(demo: DemoBuild) -> None:
    """mirror-stale: the launchd mirror of 10 minutes ago was refused, because uploads/<ns>/ is
    missing (YTM102); the one before it, 20 minutes earlier, had succeeded."""
    (demo.workspace / mirror_log_rel(demo, 0)).unlink()  # the healthy build's "just now"
    write_mirror_log(demo, 30)
    reason = (
        f"the share is degraded (uploads/{NAMESPACE}/ is missing): the mirror waits until it "
        "is usable (ytm-doctor explain YTM102); nothing was written"
    )
    write_mirror_log(
        demo,
        10,
        status="refused",
        ok=False,
        returncode=None,
        result={"returncode": None, "meaning": None},
        duration_sec=0.2,
        refused=reason,
    )
    demo.instances["YTM703"] = (
        "workspaces/logs/ops/workspaces_mirror/: the last mirror run was refused (share degraded)"
    )


def plant_ytm704(demo: DemoBuild) -> None:
    """stale-lock: the mirror started 40 minutes ago was killed when the share dropped; its lock
    stayed behind (seed 004 §28.3: stale once its heartbeat is older than 30 s)."""
    started = demo.built_at - timedelta(minutes=40)
    lock = {
        "name": "mirror",
        "host": "demo-mac",
        "pid": 48213,
        "token": "5f0c2a9e7d1b3c48",
        "started_at": started.timestamp(),
        "heartbeat": (started + timedelta(minutes=2)).timestamp(),
        "command": "ytm-doctor mirror --run",
        "child_pid": 48240,
        "child_started": started.timestamp() + 1,
    }
    write_json(demo.workspace / "logs" / "ops" / "ytm_doctor" / "mirror.lock", lock)
    demo.instances["YTM704"] = (
        "workspaces/logs/ops/ytm_doctor/mirror.lock: a killed mirror's lock, silent for 38 min"
    )


def plant_ytm706(demo: DemoBuild) -> None:
    """mirror-backups: yesterday's mirror overwrote the Vault's copy of a script Hot had
    rewritten; the old version is kept beside the mirrored tree."""
    run_id = f"{(demo.built_at - timedelta(days=1)):%Y%m%dT%H%M%SZ}-5e1f0a"
    kept = demo.share / "ytm_mirror_backups" / run_id / "scripts/CH01/001/content"
    write_bytes(kept / "assembled_human.md", "# 年金だけで暮らす老後の現実（初稿）\n".encode())
    demo.instances["YTM706"] = (
        "share/ytm_mirror_backups/: what yesterday's mirror replaced on the Vault"
    )


FAMILY = Family(
    plugin="mirror_checks",
    codes=("YTM703", "YTM704", "YTM706"),
    plants=(plant_ytm703, plant_ytm704, plant_ytm706),
)
