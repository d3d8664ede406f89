"""Planted for the hot checks: YTM401 hot-draft-missing-locally, YTM402 run-dir-symlink-broken,
YTM403 hot-input-on-share, YTM404 video-run-missing, YTM405 adopted-run-missing and YTM406
runs-archivable."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from ytm_doctor.demo.files import mp4_bytes, png_bytes, symlink, write_bytes, write_json
from ytm_doctor.demo.tree_hot import write_draft
from ytm_doctor.demo.world import DemoBuild, Family, episode, stamp_to_iso
from ytm_doctor.jsonio import read_json_object


def plant_ytm401(demo: DemoBuild) -> None:
    """hot-draft-missing-locally: CH13-023 (Hot) was last opened on the Lenovo, whose CapCut keeps
    its projects on the share; the run's link and info now name that copy, so the Mac would edit
    over SMB. The Mac's own draft is still in capcut_drafts/: the one candidate to relink to."""
    ep = episode("CH13-023")
    run_dir = demo.workspace / "video" / "runs" / ep.run_ids[-1]
    shared = demo.share / "capcut_drafts_lenovo" / ep.draft_name
    write_draft(shared, ep)
    (run_dir / "capcut_draft").unlink()
    symlink(run_dir / "capcut_draft", shared)
    info_path = run_dir / "capcut_draft_info.json"
    info = read_json_object(info_path, max_bytes=1 << 20, what="draft info")
    info["draft_path"] = str(shared)
    write_json(info_path, info)
    demo.instances["YTM401"] = (
        f"workspaces/video/runs/{ep.run_ids[-1]}/capcut_draft points into the share "
        f"(share/capcut_drafts_lenovo/); the local draft capcut_drafts/{ep.draft_name} is unused"
    )


def plant_ytm402(demo: DemoBuild) -> None:
    """run-dir-symlink-broken: CH02-013's project was renamed in CapCut (folder + "_v2"), so the
    run's link and info still name the old folder; the renamed draft is the one local candidate."""
    ep = episode("CH02-013")
    draft = demo.drafts / ep.draft_name
    draft.rename(draft.with_name(ep.draft_name + "_v2"))
    link = demo.workspace / "video" / "runs" / ep.run_ids[-1] / "capcut_draft"
    demo.expected_dangling.append(demo.rel(link))  # dangling on purpose, and a finding
    demo.instances["YTM402"] = (
        f"workspaces/video/runs/{ep.run_ids[-1]}/capcut_draft dangles: the draft was renamed "
        f"to capcut_drafts/{ep.draft_name}_v2"
    )


def plant_ytm403(demo: DemoBuild) -> None:
    """hot-input-on-share: CH02-012's BGM folder is a link into the share's asset_vault instead of
    a local copy, so this Hot episode stops when the share goes down (seed 001 P0-2)."""
    link = demo.workspace / "video" / "input" / "CH02" / "CH02-012" / "bgm"
    symlink(link, demo.share / "asset_vault" / "bgm")
    demo.instances["YTM403"] = (
        "workspaces/video/input/CH02/CH02-012/bgm is a symlink into share/asset_vault/bgm"
    )


def plant_ytm404(demo: DemoBuild) -> None:
    """video-run-missing: CH02-014 is in the planning sheet (未着手) and has no run yet. The row
    goes into the SoT, the Hot cache and the offline copy alike, so no planning rule fires."""
    row = "014,年金の繰り下げ受給は得か損か,未着手\r\n".encode()
    for planning in (
        demo.workspace / "planning",
        demo.vault / "planning",
        demo.offline_vault / "planning",
    ):
        csv_path = planning / "channels" / "CH02.csv"
        csv_path.write_bytes(csv_path.read_bytes() + row)
    demo.instances["YTM404"] = "CH02-014 (未着手 in planning) has no run under video/runs"


def plant_ytm405(demo: DemoBuild) -> None:
    """adopted-run-missing: a cleanup without --channel (seed 003 §4.2) archived CH01-003's
    adopted run although the episode is Hot; status.json still names it. The archived copy and
    its archive_report.json are where restore-run takes it back from."""
    ep = episode("CH01-003")
    run_id = ep.run_ids[-1]
    stamp = "20260125T021000Z"
    archive = demo.workspace / "video" / "_archive" / stamp
    dest_rel = f"video/_archive/{stamp}/video/runs/{run_id}"
    (archive / "video" / "runs").mkdir(parents=True)
    (demo.workspace / "video" / "runs" / run_id).rename(demo.workspace / dest_rel)
    # The run's relative capcut_draft link moved with it and dangles inside the archive; it
    # resolves again once the run is restored. Archived draft links are nobody's finding.
    demo.expected_dangling.append(demo.rel(demo.workspace / dest_rel / "capcut_draft"))
    report = {
        "schema": "ytm.video_runs_archive_report.v1",
        "created_at": stamp_to_iso(stamp),
        "reason": "unscoped cleanup (--video-runs --all)",
        "moved": [
            {
                "run_id": run_id,
                "episode": ep.episode_id,
                "src": f"video/runs/{run_id}",
                "dest": dest_rel,
            }
        ],
    }
    write_json(archive / "archive_report.json", report)
    demo.instances["YTM405"] = (
        f"CH01-003's status.json names {run_id}, which was archived to workspaces/{dest_rel}"
    )


def plant_ytm406(demo: DemoBuild) -> None:
    """runs-archivable: CH01-002 (Published) was rendered six times and two legacy runs from
    before the episode naming sit in video/runs. The guards keep the adopted run (older than
    two retakes), the two retakes (newest 2), a run marked `.keep` and one whose images are
    being regenerated right now (recent); the oldest run and the legacy runs may go."""
    ep = episode("CH01-002")
    runs = demo.workspace / "video" / "runs"
    adopted = ep.run_ids[-1]
    stamps = ("20251201T100000Z", "20251205T100000Z", "20251208T100000Z", "20251220T090000Z")
    oldest, regenerated, marked, retake = (f"{ep.episode_id}__{s}" for s in stamps)
    newest = f"{ep.episode_id}__20251222T090000Z"
    # run id -> the time its files are dated (their stamp: when they were rendered)
    aged = {run_id: run_id.rpartition("__")[2] for run_id in (oldest, regenerated, marked)}
    aged.update({retake: stamps[3], newest: newest.rpartition("__")[2]})
    aged.update({"192": "20251015T120000Z", "api_20251101_shorts": "20251101T080000Z"})
    for run_id in aged:
        write_bytes(runs / run_id / "remotion" / "output" / "final.mp4", mp4_bytes())
        write_bytes(runs / run_id / "images" / "0001.png", png_bytes((120, 120, 120)))
    write_bytes(runs / marked / ".keep", b"")
    aged[adopted] = adopted.rpartition("__")[2]  # older than the retakes: kept as adopted
    for run_id, stamp in aged.items():
        _age(runs / run_id, stamp)
    # Written after the aging: this run is being regenerated now, deep inside it.
    write_bytes(runs / regenerated / "images" / "0002.png", png_bytes((90, 90, 90)))
    demo.instances["YTM406"] = (
        f"workspaces/video/runs/{oldest}, 192 and api_20251101_shorts may be archived; kept: "
        f"{adopted} (adopted), the two retakes (newest 2), {marked} (.keep) and {regenerated} "
        "(images regenerated now)"
    )


def _age(run_dir: Path, stamp: str) -> None:
    """Every entry of the run dated `stamp`, deepest first (dating a file touches no dir)."""
    when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    for folder, dirs, files in os.walk(run_dir, topdown=False):
        for name in dirs + files:
            os.utime(os.path.join(folder, name), (when, when), follow_symlinks=False)
        os.utime(folder, (when, when))


FAMILY = Family(
    plugin="hot",
    codes=("YTM401", "YTM402", "YTM403", "YTM404", "YTM405", "YTM406"),
    plants=(plant_ytm401, plant_ytm402, plant_ytm403, plant_ytm404, plant_ytm405, plant_ytm406),
)
