"""Planted for the disk checks: YTM501 low-disk and YTM502 reclaimable-space."""

from __future__ import annotations

import os
from datetime import timedelta

from ytm_doctor.demo.files import mp4_bytes, write_bytes, write_json
from ytm_doctor.demo.store import store_copy, write_manifest
from ytm_doctor.demo.world import CONFIG_NAME, NAMESPACE, DemoBuild, Family, episode
from ytm_doctor.jsonio import read_json_object


def plant_ytm501(demo: DemoBuild) -> None:
    """low-disk: the demo config's warning threshold is above any disk's free space."""
    demo.disk = {"warn_free_gib": 100000, "stop_free_gib": 80}
    demo.instances["YTM501"] = (
        f"{CONFIG_NAME} sets disk.warn_free_gib to 100000, so the volume holding workspaces/ "
        "is always below it"
    )


def plant_ytm502(demo: DemoBuild) -> None:
    """reclaimable-space: CH01-002 was posted a week ago (publish_lock set then); its final
    audio was stored and its copies in the shared store verify, and its run still holds the
    CapCut export, stored too and long past the export retention. `ytm-doctor reclaim` frees
    all three; its thumbnails and its run stay (archive-only)."""
    ep = episode("CH01-002")
    base = demo.share / "uploads" / NAMESPACE
    week_ago = (demo.built_at - timedelta(days=7)).timestamp()
    status = demo.workspace / "scripts" / ep.channel / ep.video / "status.json"
    current = read_json_object(status, max_bytes=1 << 20, what="status.json")
    write_json(status, {**current, "publish_lock": True})
    export_rel = f"video/runs/{ep.run_ids[-1]}/{ep.episode_id}_capcut_export.mp4"
    write_bytes(demo.workspace / export_rel, mp4_bytes())
    for path in (status, demo.workspace / export_rel):
        os.utime(path, (week_ago, week_ago))
    audio = [
        store_copy(
            demo.workspace / f"audio/final/{ep.channel}/{ep.video}/{ep.episode_id}.{ext}",
            f"audio/final/{ep.channel}/{ep.video}/{ep.episode_id}.{ext}",
            base,
            f"audio_final/{ep.channel}/{ep.video}/{ep.episode_id}.{ext}",
        )
        for ext in ("wav", "srt")
    ]
    stored_export = f"capcut_exports/{ep.channel}/{ep.video}/{ep.run_ids[-1]}.mp4"
    export = store_copy(demo.workspace / export_rel, export_rel, base, stored_export)
    for kind, entries in (("audio_final", audio), ("capcut_exports", [export])):
        write_manifest(base, kind, ep, "2026-01-20T09:00:00Z", entries)
    demo.instances["YTM502"] = (
        f"published CH01-002's final audio and its week-old CapCut export ({export_rel}) are "
        f"stored in share/uploads/{NAMESPACE}/ and still on local disk: `ytm-doctor reclaim` "
        "frees them"
    )


FAMILY = Family(plugin="disk", codes=("YTM501", "YTM502"), plants=(plant_ytm501, plant_ytm502))
