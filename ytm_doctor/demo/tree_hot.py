"""The healthy Mac side: local CapCut drafts and the Hot workspace (SPEC §4).

Family modules plant their problems into this tree afterwards; `write_draft`, `write_planning`
and the mirror run log writers are shared with them so a planted file looks like a real one.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ytm_doctor.clock import iso_seconds
from ytm_doctor.demo.files import (
    mp3_bytes,
    mp4_bytes,
    png_bytes,
    symlink,
    wav_bytes,
    write_bytes,
    write_json,
    write_text,
)
from ytm_doctor.demo.world import (
    ARCHIVE_STAMP,
    BOM_CHANNELS,
    CHANNELS,
    EPISODES,
    PLANNING_HEADER,
    DemoBuild,
    Episode,
    stamp_to_iso,
)

# --- CapCut drafts -----------------------------------------------------------------------------


def build_drafts(demo: DemoBuild) -> None:
    demo.drafts.mkdir(parents=True)
    for ep in EPISODES:
        if ep.draft_kept:
            write_draft(demo.drafts / ep.draft_name, ep)


def write_draft(draft: Path, ep: Episode) -> None:
    content = {
        "name": ep.draft_name,
        "duration": 612_000_000,  # microseconds, as CapCut stores it
        "canvas_config": {"width": 1920, "height": 1080, "ratio": "16:9"},
        "materials": {
            "audios": [{"path": f"audio/final/{ep.channel}/{ep.video}/{ep.episode_id}.wav"}],
            "texts": [{"content": ep.title}],
        },
        "tracks": [{"type": "video"}, {"type": "audio"}, {"type": "text"}],
    }
    write_json(draft / "draft_content.json", content)
    write_json(draft / "draft_meta_info.json", {"draft_name": ep.draft_name})


# --- Hot workspace -----------------------------------------------------------------------------


def build_workspace(demo: DemoBuild) -> None:
    ws = demo.workspace
    for ep in EPISODES:
        _write_script(ws, ep)
        if ep.audio_kept:
            _write_audio(ws, ep)
        if not ep.archived:
            _write_input(ws, ep)
        for run_id in ep.run_ids:
            if not ep.archived:
                _write_run(demo, ws / "video" / "runs" / run_id, ep, run_id)
    _write_input_common(ws)
    _write_archive(demo)
    _write_thumbnails(ws)
    write_planning(ws / "planning")
    write_mirror_log(demo)


def _write_script(ws: Path, ep: Episode) -> None:
    folder = ws / "scripts" / ep.channel / ep.video
    metadata: dict[str, object] = {"title": ep.title, "channel_name": CHANNELS[ep.channel]}
    if ep.record_run_id and ep.run_ids:
        metadata["video_run_id"] = ep.run_ids[-1]
    status = {
        "script_id": ep.episode_id,
        "channel": ep.channel,
        "video": ep.video,
        "status": "completed" if ep.status == "投稿済み" else "in_progress",
        "publish_lock": ep.publish_lock,
        "metadata": metadata,
    }
    write_json(folder / "status.json", status)
    body = f"# {ep.title}\n\n皆さんこんにちは。{CHANNELS[ep.channel]}へようこそ。\n\n（本文）\n"
    write_text(folder / "content" / "assembled_human.md", body)


def _write_audio(ws: Path, ep: Episode) -> None:
    folder = ws / "audio" / "final" / ep.channel / ep.video
    write_bytes(folder / f"{ep.episode_id}.wav", wav_bytes())
    srt = f"1\n00:00:00,000 --> 00:00:02,500\n{ep.title}\n"
    write_text(folder / f"{ep.episode_id}.srt", srt)


def _write_input(ws: Path, ep: Episode) -> None:
    # Hot inputs are real local directories (G1: Hot assets live on the Mac), never share links.
    folder = ws / "video" / "input" / ep.channel / ep.episode_id
    for i in range(1, 3):
        write_bytes(folder / "images" / f"{i:04d}.png", png_bytes((40 * i, 90, 160)))
    if ep.channel == "CH13":
        # A relative link inside the workspace: healthy, and not Hot depending on the share.
        symlink(folder / "bgm.mp3", ws / "video" / "input" / "CH13" / "_common" / "theme.mp3")


def _write_input_common(ws: Path) -> None:
    write_bytes(ws / "video" / "input" / "CH13" / "_common" / "theme.mp3", mp3_bytes())


def _write_run(demo: DemoBuild, run_dir: Path, ep: Episode, run_id: str) -> None:
    write_bytes(run_dir / "remotion" / "output" / "final.mp4", mp4_bytes())
    write_bytes(run_dir / "images" / "0001.png", png_bytes((200, 180, 60)))
    if run_id != ep.run_ids[-1]:
        return  # an older, superseded run: no draft of its own
    draft = demo.drafts / ep.draft_name
    symlink(run_dir / "capcut_draft", draft)
    info = {
        "draft_path": str(draft),  # absolute, as CapCut tools record it
        "draft_name": ep.draft_name,
        "episode": ep.episode_id,
        "run_id": run_id,
    }
    write_json(run_dir / "capcut_draft_info.json", info)
    if not ep.draft_kept:
        # Published: the draft was deleted after posting, so this link dangles by policy.
        demo.expected_dangling.append(demo.rel(run_dir / "capcut_draft"))


def _write_archive(demo: DemoBuild) -> None:
    """Published episodes' runs moved to video/_archive (seed 003), with their report."""
    archive = demo.workspace / "video" / "_archive" / ARCHIVE_STAMP
    moved = []
    for ep in EPISODES:
        if not ep.archived:
            continue
        for run_id in ep.run_ids:
            run_dir = archive / "video" / "runs" / run_id
            write_bytes(run_dir / "remotion" / "output" / "final.mp4", mp4_bytes())
            # The draft link is left out: the draft is gone and which rule would own a dangling
            # link inside _archive is not settled; the info file keeps the history.
            info = {"draft_name": ep.draft_name, "episode": ep.episode_id, "run_id": run_id}
            write_json(run_dir / "capcut_draft_info.json", info)
            moved.append(
                {
                    "run_id": run_id,
                    "episode": ep.episode_id,
                    "src": f"video/runs/{run_id}",
                    "dest": f"video/_archive/{ARCHIVE_STAMP}/video/runs/{run_id}",
                }
            )
    report = {
        "schema": "ytm.video_runs_archive_report.v1",
        "created_at": stamp_to_iso(ARCHIVE_STAMP),
        "reason": "published",
        "moved": moved,
    }
    write_json(archive / "archive_report.json", report)


def _write_thumbnails(ws: Path) -> None:
    projects = []
    for ep in EPISODES:
        variants = []
        for variant in ("v1", "v2"):
            image = f"{ep.channel}/{ep.video}/{variant}/00_thumb.png"
            write_bytes(ws / "thumbnails" / "assets" / image, png_bytes((220, 40, 40)))
            variants.append({"id": variant, "image_path": image})
        projects.append(
            {
                "channel": ep.channel,
                "video": ep.video,
                "title": ep.title,
                "selected_variant_id": "v1",
                "variants": variants,
            }
        )
    write_json(ws / "thumbnails" / "projects.json", {"projects": projects})


def write_planning(planning: Path) -> None:
    for channel in CHANNELS:
        path = planning / "channels" / f"{channel}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_planning_csv(channel))


def _planning_csv(channel: str) -> bytes:
    lines = [",".join(PLANNING_HEADER)]
    lines += [f"{ep.video},{ep.title},{ep.status}" for ep in EPISODES if ep.channel == channel]
    encoding = "utf-8-sig" if channel in BOM_CHANNELS else "utf-8"
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def write_mirror_log(demo: DemoBuild, minutes_ago: int = 0, **changes: object) -> str:
    """A run log as `ytm-doctor mirror --run` writes it; by default a success that just
    finished, so YTM703 (mirror-stale) has nothing to say. Returns its workspace path."""
    when = demo.built_at - timedelta(minutes=minutes_ago)
    log = {
        "schema": "ytm.workspaces_mirror.v1",
        "run": True,
        "status": "ok",
        "ok": True,
        "returncode": 0,
        "result": {"returncode": 0, "meaning": "success"},
        "started_at": iso_seconds(when - timedelta(seconds=42)),
        "finished_at": iso_seconds(when),
        "duration_sec": 42.0,
        "host": "demo-mac",
        "src": "workspace:.",
        "dest": "vault:.",
        "delete": True,
        **changes,
    }
    rel = mirror_log_rel(demo, minutes_ago)
    write_json(demo.workspace / rel, log)
    return rel


def mirror_log_rel(demo: DemoBuild, minutes_ago: int) -> str:
    when = demo.built_at - timedelta(minutes=minutes_ago)
    return f"logs/ops/workspaces_mirror/workspaces_mirror__{when:%Y%m%dT%H%M%SZ}.json"
