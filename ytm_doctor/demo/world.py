"""What the demo is made of: its names, its episodes, and the build in progress (`DemoBuild`).

Every other module of the package reads these; none of them is read back from here, so the
healthy tree and the family modules can import this one without cycles.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ytm_doctor.clock import iso_seconds

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
# 未着手, so the demo has no YTM401/YTM404 finding until a family module plants one.
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
class DemoBuild:
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


Plant = Callable[[DemoBuild], None]


@dataclass(frozen=True)
class Family:
    """The planted instances of one check plugin's rules: one module of this package each.

    `codes` are the rules its `plants` record in `DemoBuild.instances`; the build checks that
    they agree, so a test can hold each family to firing its own rules on the demo.
    """

    plugin: str  # the check plugin that owns the rules (`ytm-doctor list` shows it)
    codes: tuple[str, ...]
    plants: tuple[Plant, ...]  # run in this order


def episode(episode_id: str) -> Episode:
    return next(ep for ep in EPISODES if ep.episode_id == episode_id)


def stamp_to_iso(stamp: str) -> str:
    return iso_seconds(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ"))
