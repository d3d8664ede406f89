"""`ytm-doctor demo`: build a realistic sample factory to scan (SPEC §11).

The demo is a Hot workspace, a share holding the Vault, local CapCut drafts and planning CSVs, all
real files, directories and symlinks under one destination, plus two configs: the main view (share
mounted but degraded) and the offline view (share replaced by a mountpoint stub, seed 001 §0.3).

Everything is healthy except the instances planted on purpose by the `_plant_<code>` functions;
each records itself in `DemoInfo.instances`. Links are relative so the tree survives a move; the
few recorded absolute paths (draft_path, YTM_PLANNING_ROOT) are what the real tools record, so a
moved demo should simply be rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import textwrap
import wave
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from ytm_doctor.clock import iso_seconds
from ytm_doctor.errors import UsageError
from ytm_doctor.paths import SENTINEL_NAME, STUB_MARKER_NAME
from ytm_doctor.store import manifest

MARKER_NAME = ".ytm_doctor_demo"
CONFIG_NAME = "ytm-doctor.yaml"
OFFLINE_CONFIG_NAME = "ytm-doctor.offline.yaml"
GATEWAY_CONFIG_NAME = "ytm-doctor.gateway.yaml"
NAMESPACE = "factory_commentary"
HOST_ALIAS = "/srv/workspace/doraemon/workspace/lenovo_share"  # the Linux gateway's mount
ENV_FILE = "ops/env/ytm.env"
MISSING_ENV_FILE = "ops/systemd/ytm-mirror.service"  # listed in the config, never written
UI_HUB_UNIT = "ops/systemd/factory_ui_hub.service"  # declares the Hot cache as planning root
ARCHIVE_STAMP = "20260105T031500Z"
SENTINEL_CREATED_AT = "2026-01-25T00:52:39Z"
PLANNING_HEADER = ("動画番号", "タイトル", "進捗")


@dataclass
class DemoInfo:
    dest: Path
    config: Path
    offline_config: Path
    gateway_config: Path
    instances: dict[str, str]  # rule code -> where its planted instance is
    # Links (relative to dest) that dangle by policy and are not findings, e.g. the draft link of
    # a Published episode whose CapCut draft was deleted after posting (SPEC §5).
    expected_dangling: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Episode:
    channel: str
    video: str
    title: str
    status: str  # the planning sheet's 進捗
    run_stamps: tuple[str, ...] = ()  # oldest first; the last one is the adopted run
    archived: bool = False  # runs moved to video/_archive after posting
    draft_kept: bool = True  # CapCut draft still on local disk (deleted after posting)
    audio_kept: bool = True  # audio/final may be deleted after posting (seed 001 Step F)
    publish_lock: bool = False
    record_run_id: bool = True  # status.json names the run; else the newest run is adopted

    @property
    def episode_id(self) -> str:
        return f"{self.channel}-{self.video}"

    @property
    def run_ids(self) -> list[str]:
        return [f"{self.episode_id}__{stamp}" for stamp in self.run_stamps]

    @property
    def draft_name(self) -> str:
        return f"{self.episode_id}_{self.title}"


CHANNELS: dict[str, str] = {
    "CH01": "シニアの知恵袋",
    "CH02": "お金の雑学ラジオ",
    "CH13": "歴史ミステリー解説",
}

# Every unposted (Hot or Freeze) episode has a run and a local draft, and no planning row is
# 未着手, so the demo has no YTM401/YTM404 finding until a later _plant_ function adds one.
EPISODES: tuple[Episode, ...] = (
    Episode(
        "CH01",
        "001",
        "年金だけで暮らす老後の現実",
        "投稿済み",
        ("20251203T091500Z",),
        archived=True,
        draft_kept=False,
        publish_lock=True,
        record_run_id=False,
    ),
    Episode(
        "CH01",
        "002",
        "70代から始める断捨離のコツ",
        "投稿済み",
        ("20251218T140000Z",),
        draft_kept=False,
    ),
    Episode("CH01", "003", "認知症を防ぐ毎日の習慣", "台本作成中", ("20260122T083000Z",)),
    Episode(
        "CH01",
        "004",
        "熟年離婚を避ける夫婦の会話術",
        "凍結",
        ("20260106T120000Z", "20260108T120000Z"),
        record_run_id=False,
    ),
    Episode(
        "CH02",
        "010",
        "新NISAで失敗する人の共通点",
        "投稿済み",
        ("20251120T100000Z",),
        archived=True,
        draft_kept=False,
        audio_kept=False,
        publish_lock=True,
        record_run_id=False,
    ),
    Episode(
        "CH02",
        "011",
        "固定資産税の落とし穴",
        "投稿済み",
        ("20251205T100000Z",),
        archived=True,
        draft_kept=False,
        publish_lock=True,
        record_run_id=False,
    ),
    Episode("CH02", "012", "退職金の受け取り方で損しない方法", "台本作成中", ("20260120T101500Z",)),
    Episode("CH02", "013", "相続でもめる家族の特徴", "台本作成中", ("20260123T153000Z",)),
    Episode(
        "CH13",
        "021",
        "戦国武将の意外な最期",
        "投稿済み",
        ("20251210T090000Z",),
        archived=True,
        draft_kept=False,
        publish_lock=True,
        record_run_id=False,
    ),
    Episode("CH13", "022", "江戸時代の庶民の食卓", "凍結", ("20260111T110000Z",)),
    Episode("CH13", "023", "明治維新の知られざる立役者", "台本作成中", ("20260124T070000Z",)),
)

BOM_CHANNELS = frozenset({"CH13"})  # exported from a spreadsheet with a BOM (SPEC §4 allows it)


@dataclass
class _Demo:
    """The build in progress: where things go and what has been planted."""

    dest: Path
    built_at: datetime
    env_files: list[str] = field(default_factory=lambda: [ENV_FILE])
    disk: dict[str, float] = field(default_factory=dict)  # disk.* for the configs, if planted
    instances: dict[str, str] = field(default_factory=dict)
    expected_dangling: list[str] = field(default_factory=list)

    @property
    def workspace(self) -> Path:
        return self.dest / "workspaces"

    @property
    def share(self) -> Path:
        return self.dest / "share"

    @property
    def vault(self) -> Path:
        return self.share / "ytm_workspaces"

    @property
    def drafts(self) -> Path:
        return self.dest / "capcut_drafts"

    @property
    def offline_share(self) -> Path:
        return self.dest / "offline" / "share"

    @property
    def offline_vault(self) -> Path:
        return self.dest / "offline" / "outbox" / "ytm_share" / "ytm_workspaces"

    def rel(self, path: Path) -> str:
        return os.path.relpath(path, self.dest).replace(os.sep, "/")


def build_demo(dest: Path, *, force: bool = False) -> DemoInfo:
    """Build the demo factory under `dest` and return where it is and what was planted.

    A previous demo (marked by `.ytm_doctor_demo`) is removed and rebuilt; any other non-empty
    directory is refused. `force` is accepted for the CLI's sake but never overrides that refusal:
    a foreign directory is not ours to delete.
    """
    del force  # a marked demo is always rebuilt and a foreign dir always refused
    dest = Path(os.path.abspath(os.path.expanduser(dest)))  # abspath: never resolve (SPEC §3)
    _prepare_dest(dest)
    demo = _Demo(dest=dest, built_at=datetime.now(timezone.utc).replace(microsecond=0))
    _write_marker(demo)
    _build_drafts(demo)
    _build_workspace(demo)
    _build_share(demo)
    _build_offline(demo)
    _write_env_file(demo)
    _plant_ytm100(demo)
    _plant_ytm101(demo)
    _plant_ytm102(demo)
    _plant_ytm401(demo)
    _plant_ytm402(demo)
    _plant_ytm403(demo)
    _plant_ytm404(demo)
    _plant_ytm405(demo)
    _plant_ytm501(demo)
    _plant_ytm601(demo)
    _plant_ytm602(demo)
    _plant_ytm201(demo)
    _plant_ytm202(demo)
    _plant_ytm203(demo)
    _plant_ytm801(demo)
    _plant_ytm301(demo)
    _plant_ytm302(demo)
    _plant_ytm303(demo)
    _plant_ytm701(demo)
    _plant_ytm702_705(demo)
    _plant_ytm703(demo)
    _plant_ytm704(demo)
    config = _write_config(demo, CONFIG_NAME, share="share", outbox="outbox")
    offline_config = _write_config(demo, OFFLINE_CONFIG_NAME, share="offline/share")
    gateway_config = _write_config(
        demo, GATEWAY_CONFIG_NAME, share="gateway/share", outbox="gateway/outbox"
    )
    _write_readme(demo, config, offline_config)
    return DemoInfo(
        dest=dest,
        config=config,
        offline_config=offline_config,
        gateway_config=gateway_config,
        instances=dict(sorted(demo.instances.items())),
        expected_dangling=sorted(demo.expected_dangling),
    )


# --- destination -------------------------------------------------------------------------------


def _prepare_dest(dest: Path) -> None:
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise UsageError(f"demo destination {dest} exists and is not a directory")
    if not dest.exists():
        dest.mkdir(parents=True)
        return
    entries = list(dest.iterdir())
    if not entries:
        return
    if not (dest / MARKER_NAME).is_file():
        raise UsageError(
            f"demo destination {dest} is not empty and is not a previous demo "
            f"(no {MARKER_NAME}); choose an empty or new directory"
        )
    # Our own generated tree: remove its children (rmtree never follows symlinks), keep dest.
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _write_marker(demo: _Demo) -> None:
    # Written first so that a build interrupted halfway can still be rebuilt in place.
    _write_json(
        demo.dest / MARKER_NAME,
        {"schema": "ytm_doctor.demo.v1", "created_at": iso_seconds(demo.built_at)},
    )


# --- CapCut drafts -----------------------------------------------------------------------------


def _build_drafts(demo: _Demo) -> None:
    demo.drafts.mkdir(parents=True)
    for ep in EPISODES:
        if ep.draft_kept:
            _write_draft(demo.drafts / ep.draft_name, ep)


def _write_draft(draft: Path, ep: Episode) -> None:
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
    _write_json(draft / "draft_content.json", content)
    _write_json(draft / "draft_meta_info.json", {"draft_name": ep.draft_name})


# --- Hot workspace (SPEC §4) -------------------------------------------------------------------


def _build_workspace(demo: _Demo) -> None:
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
    _write_planning(ws / "planning")
    _write_mirror_log(demo)


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
    _write_json(folder / "status.json", status)
    body = f"# {ep.title}\n\n皆さんこんにちは。{CHANNELS[ep.channel]}へようこそ。\n\n（本文）\n"
    _write_text(folder / "content" / "assembled_human.md", body)


def _write_audio(ws: Path, ep: Episode) -> None:
    folder = ws / "audio" / "final" / ep.channel / ep.video
    _write_bytes(folder / f"{ep.episode_id}.wav", _wav_bytes())
    srt = f"1\n00:00:00,000 --> 00:00:02,500\n{ep.title}\n"
    _write_text(folder / f"{ep.episode_id}.srt", srt)


def _write_input(ws: Path, ep: Episode) -> None:
    # Hot inputs are real local directories (G1: Hot assets live on the Mac), never share links.
    folder = ws / "video" / "input" / ep.channel / ep.episode_id
    for i in range(1, 3):
        _write_bytes(folder / "images" / f"{i:04d}.png", _png_bytes((40 * i, 90, 160)))
    if ep.channel == "CH13":
        # A relative link inside the workspace: healthy, and not Hot depending on the share.
        _symlink(folder / "bgm.mp3", ws / "video" / "input" / "CH13" / "_common" / "theme.mp3")


def _write_input_common(ws: Path) -> None:
    _write_bytes(ws / "video" / "input" / "CH13" / "_common" / "theme.mp3", _mp3_bytes())


def _write_run(demo: _Demo, run_dir: Path, ep: Episode, run_id: str) -> None:
    _write_bytes(run_dir / "remotion" / "output" / "final.mp4", _mp4_bytes())
    _write_bytes(run_dir / "images" / "0001.png", _png_bytes((200, 180, 60)))
    if run_id != ep.run_ids[-1]:
        return  # an older, superseded run: no draft of its own
    draft = demo.drafts / ep.draft_name
    _symlink(run_dir / "capcut_draft", draft)
    info = {
        "draft_path": str(draft),  # absolute, as CapCut tools record it
        "draft_name": ep.draft_name,
        "episode": ep.episode_id,
        "run_id": run_id,
    }
    _write_json(run_dir / "capcut_draft_info.json", info)
    if not ep.draft_kept:
        # Published: the draft was deleted after posting, so this link dangles by policy.
        demo.expected_dangling.append(demo.rel(run_dir / "capcut_draft"))


def _write_archive(demo: _Demo) -> None:
    """Published episodes' runs moved to video/_archive (seed 003), with their report."""
    archive = demo.workspace / "video" / "_archive" / ARCHIVE_STAMP
    moved = []
    for ep in EPISODES:
        if not ep.archived:
            continue
        for run_id in ep.run_ids:
            run_dir = archive / "video" / "runs" / run_id
            _write_bytes(run_dir / "remotion" / "output" / "final.mp4", _mp4_bytes())
            # The draft link is left out: the draft is gone and which rule would own a dangling
            # link inside _archive is not settled; the info file keeps the history.
            info = {"draft_name": ep.draft_name, "episode": ep.episode_id, "run_id": run_id}
            _write_json(run_dir / "capcut_draft_info.json", info)
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
        "created_at": _stamp_to_iso(ARCHIVE_STAMP),
        "reason": "published",
        "moved": moved,
    }
    _write_json(archive / "archive_report.json", report)


def _write_thumbnails(ws: Path) -> None:
    projects = []
    for ep in EPISODES:
        variants = []
        for variant in ("v1", "v2"):
            image = f"{ep.channel}/{ep.video}/{variant}/00_thumb.png"
            _write_bytes(ws / "thumbnails" / "assets" / image, _png_bytes((220, 40, 40)))
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
    _write_json(ws / "thumbnails" / "projects.json", {"projects": projects})


def _write_planning(planning: Path) -> None:
    for channel in CHANNELS:
        path = planning / "channels" / f"{channel}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_planning_csv(channel))


def _planning_csv(channel: str) -> bytes:
    lines = [",".join(PLANNING_HEADER)]
    lines += [f"{ep.video},{ep.title},{ep.status}" for ep in EPISODES if ep.channel == channel]
    encoding = "utf-8-sig" if channel in BOM_CHANNELS else "utf-8"
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _write_mirror_log(demo: _Demo, minutes_ago: int = 0, **changes: object) -> str:
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
    rel = _mirror_log_rel(demo, minutes_ago)
    _write_json(demo.workspace / rel, log)
    return rel


def _mirror_log_rel(demo: _Demo, minutes_ago: int) -> str:
    when = demo.built_at - timedelta(minutes=minutes_ago)
    return f"logs/ops/workspaces_mirror/workspaces_mirror__{when:%Y%m%dT%H%M%SZ}.json"


# --- the share and the Vault -------------------------------------------------------------------


def _build_share(demo: _Demo) -> None:
    _write_sentinel(demo.vault)
    _write_planning(demo.vault / "planning")  # the SoT; the Hot cache above is identical
    _mirror_workspace(demo)
    _build_asset_vault(demo.share / "asset_vault")
    # A portable (relative) link the Lenovo side made into the asset vault (seed 002).
    _symlink(
        demo.vault / "video" / "input" / "CH01" / "_shared_bgm", demo.share / "asset_vault" / "bgm"
    )


def _write_sentinel(vault: Path) -> None:
    sentinel = {
        "schema": "ytm.vault_workspaces_root.v1",
        "namespace": NAMESPACE,
        "created_at": SENTINEL_CREATED_AT,
        "host": "demo-mac",
    }
    _write_json(vault / SENTINEL_NAME, sentinel)


def _mirror_workspace(demo: _Demo) -> None:
    """What the Hot → Vault mirror left on the share (seeds 001, 002)."""
    for sub in (
        "scripts",
        "audio/final",
        "thumbnails",
        "video/input",
        "video/runs",
        "video/_archive",
    ):
        _copy_files(demo.workspace / sub, demo.vault / sub)
    # video/runs is protected from delete-sync, so runs archived on Hot are still on the Vault.
    archived_runs = demo.workspace / "video" / "_archive" / ARCHIVE_STAMP / "video" / "runs"
    _copy_files(archived_runs, demo.vault / "video" / "runs")


def _build_asset_vault(asset_vault: Path) -> None:
    _write_bytes(asset_vault / "bgm" / "calm_piano_01.mp3", _mp3_bytes())
    _write_bytes(asset_vault / "bgm" / "news_tension_02.mp3", _mp3_bytes())
    _write_bytes(asset_vault / "se" / "page_turn.wav", _wav_bytes())
    _write_bytes(asset_vault / "images" / "logo_CH01.png", _png_bytes((255, 200, 0)))
    _write_text(asset_vault / "README.txt", "共有素材庫（Asset Vault）。素材の追加はここへ。\n")
    _symlink(asset_vault / "bgm" / "default.mp3", asset_vault / "bgm" / "calm_piano_01.mp3")


# --- the offline view: the share is down, its mount point is a stub (seed 001 §0.3) -------------


def _build_offline(demo: _Demo) -> None:
    # The local backup of the Vault that the stub's ytm_workspaces link points at.
    _write_sentinel(demo.offline_vault)
    _write_planning(demo.offline_vault / "planning")
    _copy_files(demo.vault / "thumbnails", demo.offline_vault / "thumbnails")
    _copy_files(demo.vault / "video" / "runs", demo.offline_vault / "video" / "runs")
    demo.offline_share.mkdir(parents=True)
    _symlink(demo.offline_share / "ytm_workspaces", demo.offline_vault)


# --- configuration -----------------------------------------------------------------------------


def _write_env_file(demo: _Demo) -> None:
    planning = str(demo.vault / "planning")  # absolute: dotenv and systemd have no base dir
    value = f'"{planning}"' if any(c.isspace() for c in planning) else planning
    text = (
        "# ytm environment for the demo factory (read by ops tools and by ytm-doctor YTM601)\n"
        f"YTM_SHARED_STORAGE_NAMESPACE={NAMESPACE}\n"
        f"YTM_PLANNING_ROOT={value}\n"
    )
    _write_text(demo.dest / ENV_FILE, text)


def _write_config(demo: _Demo, name: str, *, share: str, outbox: str | None = None) -> Path:
    shared: dict = {
        "root": share,
        "require_mount": False,  # the demo's share is a plain directory
        "namespace": NAMESPACE,
        "host_aliases": [HOST_ALIAS],
    }
    if outbox:
        # Keep the demo's outbox inside the demo, not in the user's data directory.
        shared["fallback_root"] = outbox
    data = {
        "workspace_root": "workspaces",
        "shared_storage": shared,
        "capcut": {"draft_root": "capcut_drafts"},
        "planning": {"env_files": list(demo.env_files)},
    }
    header = (
        "# ytm-doctor demo configuration; relative paths are taken from this file's directory.\n"
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
    if demo.disk:
        body += (
            "# The demo raises the warning threshold (policy default: 150 GiB) far above any real\n"
            "# disk, so that the demo shows YTM501 low-disk on every machine.\n"
            + yaml.safe_dump({"disk": demo.disk}, sort_keys=False, default_flow_style=False)
        )
    path = demo.dest / name
    _write_text(path, header + body)
    return path


def _write_readme(demo: _Demo, config: Path, offline_config: Path) -> None:
    planted = ", ".join(demo.instances)
    about = (
        "This is a ytm-doctor demo factory: a Hot workspace (workspaces/), a share holding the "
        "Vault (share/ytm_workspaces, share/asset_vault), local CapCut drafts (capcut_drafts/) "
        "and Japanese planning sheets for CH01, CH02 and CH13. Most of it is healthy; problems "
        f"are planted on purpose for rules {planted}. The offline view (offline/share) is the "
        "same factory while the SMB share is down and its mount point is a stub."
    )
    text = (
        textwrap.fill(about, width=78) + "\n\n"
        "Scan the main view, then the offline view:\n"
        f"    ytm-doctor --config {config}\n"
        f"    ytm-doctor --config {offline_config}\n"
        "Rebuild with `ytm-doctor demo --dest DIR`; the .ytm_doctor_demo marker allows it.\n"
    )
    _write_text(demo.dest / "README.txt", text)


# --- planted instances: one small function per rule --------------------------------------------


def _plant_ytm100(demo: _Demo) -> None:
    """config-invalid: a planning env file listed in the config does not exist."""
    demo.env_files.append(MISSING_ENV_FILE)
    demo.instances["YTM100"] = (
        f"{CONFIG_NAME} lists planning.env_files {MISSING_ENV_FILE}, which does not exist"
    )


def _plant_ytm101(demo: _Demo) -> None:
    """share-stub-mount: the offline view's share root is a mountpoint stub."""
    text = (
        "This directory is a mount point stub: the SMB share (Lenovo external drive) is not "
        "mounted here.\n"
        "共有（SMB）はここにマウントされていません（mountpoint stub）。"
        "ytm_workspaces はローカル退避先（outbox）への symlink です。\n"
    )
    _write_text(demo.offline_share / STUB_MARKER_NAME, text)
    demo.instances["YTM101"] = (
        f"offline/share/{STUB_MARKER_NAME}: the share root of {OFFLINE_CONFIG_NAME} is a stub"
    )


def _plant_ytm102(demo: _Demo) -> None:
    """share-degraded: the gateway view mounted the wrong export: ytm_workspaces/ and
    asset_vault/ are there (the same Vault), but the store's base uploads/<namespace>/ is not."""
    share = demo.dest / "gateway" / "share"
    share.mkdir(parents=True)
    for name in ("ytm_workspaces", "asset_vault"):
        _symlink(share / name, demo.share / name)
    demo.instances["YTM102"] = (
        f"gateway/share has no uploads/{NAMESPACE}/: the share of {GATEWAY_CONFIG_NAME} is "
        "degraded (the wrong export is mounted)"
    )


def _plant_ytm702_705(demo: _Demo) -> None:
    """store-integrity and l1-not-stored: CH01-001 (published) had its audio stored last week;
    the shared WAV has since been overwritten by a truncated copy (YTM702). The other published
    episodes were never stored at all (YTM705)."""
    ep = _episode("CH01-001")
    base = demo.share / "uploads" / NAMESPACE
    stamp, when = "20260118T090000Z", "2026-01-18T09:00:00Z"
    entries = []
    for ext in ("wav", "srt"):
        src_rel = f"audio/final/{ep.channel}/{ep.video}/{ep.episode_id}.{ext}"
        src = demo.workspace / src_rel
        stored = f"audio_final/{ep.channel}/{ep.video}/{ep.episode_id}.{ext}"
        entries.append(_store_copy(src, src_rel, base, stored))
    body = manifest.template(
        kind="audio_final",
        ident=ep.episode_id,
        channel=ep.channel,
        video=ep.video,
        mode="shared",
        namespace=NAMESPACE,
        host="demo-mac",
        created_at=when,
        entries=entries,
    )
    rel = manifest.manifest_rel("audio_final", stamp, ep.episode_id)
    _write_bytes(base / rel, manifest.dumps({**body, "verified_at": when}))
    wav = base / entries[0]["path"]
    wav.write_bytes(wav.read_bytes()[: len(wav.read_bytes()) // 2])  # a copy cut off half-way
    demo.instances["YTM702"] = (
        f"share/uploads/{NAMESPACE}/{entries[0]['path']} no longer matches its manifest "
        "(truncated after it was stored)"
    )
    demo.instances["YTM705"] = (
        f"published CH02-011, CH13-021 (and others) were never stored in share/uploads/{NAMESPACE}/"
    )


def _episode(episode_id: str) -> Episode:
    return next(ep for ep in EPISODES if ep.episode_id == episode_id)


def _plant_ytm401(demo: _Demo) -> None:
    """hot-draft-missing-locally: CH13-023 (Hot) was last opened on the Lenovo, whose CapCut keeps
    its projects on the share; the run's link and info now name that copy, so the Mac would edit
    over SMB. The Mac's own draft is still in capcut_drafts/: the one candidate to relink to."""
    ep = _episode("CH13-023")
    run_dir = demo.workspace / "video" / "runs" / ep.run_ids[-1]
    shared = demo.share / "capcut_drafts_lenovo" / ep.draft_name
    _write_draft(shared, ep)
    (run_dir / "capcut_draft").unlink()
    _symlink(run_dir / "capcut_draft", shared)
    info_path = run_dir / "capcut_draft_info.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info["draft_path"] = str(shared)
    _write_json(info_path, info)
    demo.instances["YTM401"] = (
        f"workspaces/video/runs/{ep.run_ids[-1]}/capcut_draft points into the share "
        f"(share/capcut_drafts_lenovo/); the local draft capcut_drafts/{ep.draft_name} is unused"
    )


def _plant_ytm402(demo: _Demo) -> None:
    """run-dir-symlink-broken: CH02-013's project was renamed in CapCut (folder + "_v2"), so the
    run's link and info still name the old folder; the renamed draft is the one local candidate."""
    ep = _episode("CH02-013")
    draft = demo.drafts / ep.draft_name
    draft.rename(draft.with_name(ep.draft_name + "_v2"))
    link = demo.workspace / "video" / "runs" / ep.run_ids[-1] / "capcut_draft"
    demo.expected_dangling.append(demo.rel(link))  # dangling on purpose, and a finding
    demo.instances["YTM402"] = (
        f"workspaces/video/runs/{ep.run_ids[-1]}/capcut_draft dangles: the draft was renamed "
        f"to capcut_drafts/{ep.draft_name}_v2"
    )


def _plant_ytm403(demo: _Demo) -> None:
    """hot-input-on-share: CH02-012's BGM folder is a link into the share's asset_vault instead of
    a local copy, so this Hot episode stops when the share goes down (seed 001 P0-2)."""
    link = demo.workspace / "video" / "input" / "CH02" / "CH02-012" / "bgm"
    _symlink(link, demo.share / "asset_vault" / "bgm")
    demo.instances["YTM403"] = (
        "workspaces/video/input/CH02/CH02-012/bgm is a symlink into share/asset_vault/bgm"
    )


def _plant_ytm404(demo: _Demo) -> None:
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


def _plant_ytm405(demo: _Demo) -> None:
    """adopted-run-missing: a cleanup without --channel (seed 003 §4.2) archived CH01-003's
    adopted run although the episode is Hot; status.json still names it. The archived copy and
    its archive_report.json are where restore-run takes it back from."""
    ep = _episode("CH01-003")
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
        "created_at": _stamp_to_iso(stamp),
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
    _write_json(archive / "archive_report.json", report)
    demo.instances["YTM405"] = (
        f"CH01-003's status.json names {run_id}, which was archived to workspaces/{dest_rel}"
    )


def _plant_ytm501(demo: _Demo) -> None:
    """low-disk: the demo config's warning threshold is above any disk's free space."""
    demo.disk = {"warn_free_gib": 100000, "stop_free_gib": 80}
    demo.instances["YTM501"] = (
        f"{CONFIG_NAME} sets disk.warn_free_gib to 100000, so the volume holding workspaces/ "
        "is always below it"
    )


def _plant_ytm601(demo: _Demo) -> None:
    """planning-root-drift: a UI hub unit still points at the Hot cache, while ops/env/ytm.env
    (and the derived default) name the Vault's planning SoT."""
    workspace, cache = str(demo.workspace), str(demo.workspace / "planning")
    text = (
        "[Unit]\n"
        "Description=factory UI hub (ui/api/files)\n"
        "After=network-online.target\n"
        "\n"
        "[Service]\n"
        f'Environment="YTM_WORKSPACE_ROOT={workspace}" "YTM_PLANNING_ROOT={cache}"\n'
        f"Environment=YTM_SHARED_STORAGE_NAMESPACE={NAMESPACE}\n"
        "ExecStart=/usr/bin/python3 -m factory_ui_hub --port 8000\n"
        "Restart=on-failure\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )
    _write_text(demo.dest / UI_HUB_UNIT, text)
    demo.env_files.append(UI_HUB_UNIT)
    demo.instances["YTM601"] = (
        f"{UI_HUB_UNIT} sets YTM_PLANNING_ROOT to the Hot cache workspaces/planning, "
        f"{ENV_FILE} to the Vault SoT share/ytm_workspaces/planning"
    )


def _plant_ytm602(demo: _Demo) -> None:
    """planning-cache-drift: CH01-003 moved to 台本作成中 on the Vault; the Hot cache still has
    the row as it was before (未着手)."""
    cache = demo.workspace / "planning" / "channels" / "CH01.csv"
    text = cache.read_bytes().decode("utf-8")
    row = "003,認知症を防ぐ毎日の習慣,"
    stale = text.replace(row + "台本作成中", row + "未着手")
    if stale == text:  # the episode table changed: keep the instance honest
        raise AssertionError("CH01-003 row not found in the planning cache")
    cache.write_bytes(stale.encode("utf-8"))
    demo.instances["YTM602"] = (
        "workspaces/planning/channels/CH01.csv still has CH01-003 as 未着手; the Vault SoT "
        "says 台本作成中"
    )


def _plant_ytm201(demo: _Demo) -> None:
    """vault-sentinel-missing: the share dropped while the sentinel was being rewritten, leaving
    it truncated; the mirror now refuses delete-sync (seed 002, 2026-01-25)."""
    sentinel = demo.vault / SENTINEL_NAME
    text = sentinel.read_text(encoding="utf-8")
    sentinel.write_text(text[: text.index('"namespace"') + 20], encoding="utf-8")
    demo.instances["YTM201"] = f"share/ytm_workspaces/{SENTINEL_NAME} is truncated JSON"


def _plant_ytm202(demo: _Demo) -> None:
    """vault-absolute-symlink: a link made on the Linux gateway with its own mount path, which
    dangles on the Mac (seed 002: host-specific absolute links in the Vault)."""
    link = demo.vault / "video" / "input" / "CH02" / "_shared_bgm"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(f"{HOST_ALIAS}/asset_vault/bgm")
    demo.expected_dangling.append(demo.rel(link))  # absolute and dangling here: a finding
    demo.instances["YTM202"] = (
        f"share/ytm_workspaces/video/input/CH02/_shared_bgm -> {HOST_ALIAS}/asset_vault/bgm"
    )


def _plant_ytm801(demo: _Demo) -> None:
    """thumbnail-missing: a variant listed in projects.json whose image was never generated
    (seed 002, 2026-01-25: CH02 thumbnails missing, the UI full of broken images)."""
    image = demo.workspace / "thumbnails" / "assets" / "CH02" / "012" / "v2" / "00_thumb.png"
    image.unlink()
    demo.instances["YTM801"] = (
        "workspaces/thumbnails/projects.json lists CH02-012 variant v2, whose "
        "thumbnails/assets/CH02/012/v2/00_thumb.png was never generated"
    )


def _plant_ytm203(demo: _Demo) -> None:
    """vault-dirs-missing: the Vault has thumbnails/projects.json but no thumbnails/assets/ (the
    first mirror pass never got that far; seed 002 §4 creates such dirs with --ensure-dirs)."""
    shutil.rmtree(demo.vault / "thumbnails" / "assets")
    demo.instances["YTM203"] = "share/ytm_workspaces/thumbnails/assets/ is missing on the Vault"


def _plant_ytm301(demo: _Demo) -> None:
    """broken-symlink: an episodes/ shortcut to CH02-011's run, left behind when the Published
    run was moved to video/_archive (seed 001 §0.3 counts hundreds of these)."""
    ep = _episode("CH02-011")
    link = demo.workspace / "episodes" / ep.channel / ep.episode_id
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(f"../../video/runs/{ep.run_ids[-1]}")
    demo.expected_dangling.append(demo.rel(link))  # dangling on purpose, and a finding
    demo.instances["YTM301"] = (
        f"workspaces/episodes/{ep.channel}/{ep.episode_id} dangles: its run was archived"
    )


def _plant_ytm302(demo: _Demo) -> None:
    """symlink-loop: a relink run twice made CH13-022's second image point at itself."""
    ep = _episode("CH13-022")
    link = demo.workspace / "video" / "runs" / ep.run_ids[-1] / "images" / "0002.png"
    link.symlink_to(link.name)
    demo.expected_dangling.append(demo.rel(link))  # never resolves, on purpose: a finding
    demo.instances["YTM302"] = f"workspaces/video/runs/{ep.run_ids[-1]}/images/0002.png -> itself"


def _plant_ytm303(demo: _Demo) -> None:
    """backup-symlink-residue: during the 2026-01-26 outage the offline fallback materialized
    CH01-004's input locally and kept the old share link aside (seed 001 §0.2.1)."""
    ep = _episode("CH01-004")
    folder = demo.workspace / "video" / "input" / ep.channel
    backup = folder / f"{ep.episode_id}.symlink_shared_backup_20260126T070401Z"
    _symlink(backup, demo.vault / "video" / "input" / ep.channel / ep.episode_id)
    demo.instances["YTM303"] = (
        f"workspaces/video/input/{ep.channel}/{backup.name} is the fallback's kept link"
    )


def _plant_ytm703(demo: _Demo) -> None:
    """mirror-stale: the launchd mirror of 10 minutes ago was refused, because uploads/<ns>/ is
    missing (YTM102); the one before it, 20 minutes earlier, had succeeded."""
    (demo.workspace / _mirror_log_rel(demo, 0)).unlink()  # the healthy build's "just now"
    _write_mirror_log(demo, 30)
    reason = (
        f"the share is degraded (uploads/{NAMESPACE}/ is missing): the mirror waits until it "
        "is usable (ytm-doctor explain YTM102); nothing was written"
    )
    _write_mirror_log(
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


def _plant_ytm704(demo: _Demo) -> None:
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
    _write_json(demo.workspace / "logs" / "ops" / "ytm_doctor" / "mirror.lock", lock)
    demo.instances["YTM704"] = (
        "workspaces/logs/ops/ytm_doctor/mirror.lock: a killed mirror's lock, silent for 38 min"
    )


def _plant_ytm701(demo: _Demo) -> None:
    """outbox-pending: CH02-012's script was stored while uploads/<namespace>/ was missing
    (YTM102), so `ytm-doctor store` wrote it to the main view's outbox, where it still waits:
    the flush itself waits for the shared base."""
    ep = _episode("CH02-012")
    stamp, when = "20260126T073000Z", "2026-01-26T07:30:00Z"
    src_rel = f"scripts/{ep.channel}/{ep.video}/content/assembled_human.md"
    src = demo.workspace / src_rel
    stored = f"scripts/{ep.channel}/{ep.video}/assembled_human.md"
    base = demo.dest / "outbox" / "uploads" / NAMESPACE
    entry = _store_copy(src, src_rel, base, stored)
    body = manifest.template(
        kind="scripts",
        ident=ep.episode_id,
        channel=ep.channel,
        video=ep.video,
        mode="outbox",
        namespace=NAMESPACE,
        host="demo-mac",
        created_at=when,
        entries=[entry],
        extra={"outbox_reason": f"the share is degraded (uploads/{NAMESPACE}/ is missing)"},
    )
    rel = manifest.manifest_rel("scripts", stamp, ep.episode_id)
    _write_bytes(base / rel, manifest.dumps({**body, "verified_at": when}))
    demo.instances["YTM701"] = (
        f"outbox/uploads/{NAMESPACE}/{rel}: stored while the share was degraded, not flushed"
    )


# --- small helpers -----------------------------------------------------------------------------


def _store_copy(src: Path, src_rel: str, base: Path, stored: str) -> dict:
    """Copy `src` to `base/stored` as `ytm-doctor store` would and return its manifest entry."""
    copy = base / stored
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, copy)
    data = copy.read_bytes()
    return {
        "path": stored,
        "source": {
            "root": "workspace",
            "path": src_rel,
            "size": src.stat().st_size,
            "mtime_ns": src.stat().st_mtime_ns,
        },
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "mtime_ns": copy.stat().st_mtime_ns,
    }


def _copy_files(src: Path, dst: Path) -> None:
    """Copy regular files and dirs only. Symlinks are skipped: a draft link is Mac-local and
    would dangle on the share, and the Vault keeps its own portable links (seed 002)."""
    for folder, dirs, files in os.walk(src):
        here = Path(folder)
        target = dst / here.relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
        for name in files:
            if not (here / name).is_symlink():
                shutil.copy2(here / name, target / name)


def _symlink(link: Path, target: Path) -> None:
    """A relative link, so the demo still resolves after being moved."""
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent), target_is_directory=target.is_dir())


def _write_json(path: Path, data: object) -> None:
    _write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _png_bytes(rgb: tuple[int, int, int]) -> bytes:
    """A valid 1x1 RGB PNG, so image tools and browsers accept the demo's thumbnails."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + bytes(rgb))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _wav_bytes() -> bytes:
    """A valid WAV: 0.1 s of silence, 8 kHz mono 16-bit."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def _mp4_bytes() -> bytes:
    # An ftyp box and padding: enough to look like an MP4 to `file`, small enough to ignore.
    return struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00isomiso2" + b"\x00" * 1000


def _mp3_bytes() -> bytes:
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 413


def _stamp_to_iso(stamp: str) -> str:
    return iso_seconds(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ"))
