"""Planted for the symlinks checks: YTM301 broken-symlink, YTM302 symlink-loop and YTM303
backup-symlink-residue."""

from __future__ import annotations

from ytm_doctor.demo.files import symlink
from ytm_doctor.demo.world import DemoBuild, Family, episode


def plant_ytm301(demo: DemoBuild) -> None:
    """broken-symlink: an episodes/ shortcut to CH02-011's run, left behind when the Published
    run was moved to video/_archive (seed 001 §0.3 counts hundreds of these)."""
    ep = episode("CH02-011")
    link = demo.workspace / "episodes" / ep.channel / ep.episode_id
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(f"../../video/runs/{ep.run_ids[-1]}")
    demo.expected_dangling.append(demo.rel(link))  # dangling on purpose, and a finding
    demo.instances["YTM301"] = (
        f"workspaces/episodes/{ep.channel}/{ep.episode_id} dangles: its run was archived"
    )


def plant_ytm302(demo: DemoBuild) -> None:
    """symlink-loop: a relink run twice made CH13-022's second image point at itself."""
    ep = episode("CH13-022")
    link = demo.workspace / "video" / "runs" / ep.run_ids[-1] / "images" / "0002.png"
    link.symlink_to(link.name)
    demo.expected_dangling.append(demo.rel(link))  # never resolves, on purpose: a finding
    demo.instances["YTM302"] = f"workspaces/video/runs/{ep.run_ids[-1]}/images/0002.png -> itself"


def plant_ytm303(demo: DemoBuild) -> None:
    """backup-symlink-residue: during the 2026-01-26 outage the offline fallback materialized
    CH01-004's input locally and kept the old share link aside (seed 001 §0.2.1)."""
    ep = episode("CH01-004")
    folder = demo.workspace / "video" / "input" / ep.channel
    backup = folder / f"{ep.episode_id}.symlink_shared_backup_20260126T070401Z"
    symlink(backup, demo.vault / "video" / "input" / ep.channel / ep.episode_id)
    demo.instances["YTM303"] = (
        f"workspaces/video/input/{ep.channel}/{backup.name} is the fallback's kept link"
    )


FAMILY = Family(
    plugin="symlinks",
    codes=("YTM301", "YTM302", "YTM303"),
    plants=(plant_ytm301, plant_ytm302, plant_ytm303),
)
