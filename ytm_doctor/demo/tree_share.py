"""The healthy share side: the Vault as the Hot -> Vault mirror left it, the asset vault, and
the offline view, where the share is down and its mount point is a stub (seed 001 §0.3)."""

from __future__ import annotations

from pathlib import Path

from ytm_doctor.demo.files import (
    copy_files,
    mp3_bytes,
    png_bytes,
    symlink,
    wav_bytes,
    write_bytes,
    write_json,
    write_text,
)
from ytm_doctor.demo.tree_hot import write_planning
from ytm_doctor.demo.world import ARCHIVE_STAMP, NAMESPACE, SENTINEL_CREATED_AT, DemoBuild
from ytm_doctor.paths import SENTINEL_NAME


def build_share(demo: DemoBuild) -> None:
    _write_sentinel(demo.vault)
    write_planning(demo.vault / "planning")  # the SoT; the Hot cache is identical
    _mirror_workspace(demo)
    _build_asset_vault(demo.share / "asset_vault")
    # A portable (relative) link the Lenovo side made into the asset vault (seed 002).
    symlink(
        demo.vault / "video" / "input" / "CH01" / "_shared_bgm", demo.share / "asset_vault" / "bgm"
    )


def _write_sentinel(vault: Path) -> None:
    sentinel = {
        "schema": "ytm.vault_workspaces_root.v1",
        "namespace": NAMESPACE,
        "created_at": SENTINEL_CREATED_AT,
        "host": "demo-mac",
    }
    write_json(vault / SENTINEL_NAME, sentinel)


def _mirror_workspace(demo: DemoBuild) -> None:
    """What the Hot → Vault mirror left on the share (seeds 001, 002)."""
    for sub in (
        "scripts",
        "audio/final",
        "thumbnails",
        "video/input",
        "video/runs",
        "video/_archive",
    ):
        copy_files(demo.workspace / sub, demo.vault / sub)
    # video/runs is protected from delete-sync, so runs archived on Hot are still on the Vault.
    archived_runs = demo.workspace / "video" / "_archive" / ARCHIVE_STAMP / "video" / "runs"
    copy_files(archived_runs, demo.vault / "video" / "runs")


def _build_asset_vault(asset_vault: Path) -> None:
    write_bytes(asset_vault / "bgm" / "calm_piano_01.mp3", mp3_bytes())
    write_bytes(asset_vault / "bgm" / "news_tension_02.mp3", mp3_bytes())
    write_bytes(asset_vault / "se" / "page_turn.wav", wav_bytes())
    write_bytes(asset_vault / "images" / "logo_CH01.png", png_bytes((255, 200, 0)))
    write_text(asset_vault / "README.txt", "共有素材庫（Asset Vault）。素材の追加はここへ。\n")
    symlink(asset_vault / "bgm" / "default.mp3", asset_vault / "bgm" / "calm_piano_01.mp3")


def build_offline(demo: DemoBuild) -> None:
    # The local backup of the Vault that the stub's ytm_workspaces link points at.
    _write_sentinel(demo.offline_vault)
    write_planning(demo.offline_vault / "planning")
    copy_files(demo.vault / "thumbnails", demo.offline_vault / "thumbnails")
    copy_files(demo.vault / "video" / "runs", demo.offline_vault / "video" / "runs")
    demo.offline_share.mkdir(parents=True)
    symlink(demo.offline_share / "ytm_workspaces", demo.offline_vault)
