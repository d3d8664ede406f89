"""Planted for the vault checks: YTM201 vault-sentinel-missing, YTM202 vault-absolute-symlink
and YTM203 vault-dirs-missing."""

from __future__ import annotations

import shutil

from ytm_doctor.demo.world import HOST_ALIAS, DemoBuild, Family
from ytm_doctor.paths import SENTINEL_NAME


def plant_ytm201(demo: DemoBuild) -> None:
    """vault-sentinel-missing: the share dropped while the sentinel was being rewritten, leaving
    it truncated; the mirror now refuses delete-sync (seed 002, 2026-01-25)."""
    sentinel = demo.vault / SENTINEL_NAME
    text = sentinel.read_text(encoding="utf-8")
    sentinel.write_text(text[: text.index('"namespace"') + 20], encoding="utf-8")
    demo.instances["YTM201"] = f"share/ytm_workspaces/{SENTINEL_NAME} is truncated JSON"


def plant_ytm202(demo: DemoBuild) -> None:
    """vault-absolute-symlink: a link made on the Linux gateway with its own mount path, which
    dangles on the Mac (seed 002: host-specific absolute links in the Vault)."""
    link = demo.vault / "video" / "input" / "CH02" / "_shared_bgm"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(f"{HOST_ALIAS}/asset_vault/bgm")
    demo.expected_dangling.append(demo.rel(link))  # absolute and dangling here: a finding
    demo.instances["YTM202"] = (
        f"share/ytm_workspaces/video/input/CH02/_shared_bgm -> {HOST_ALIAS}/asset_vault/bgm"
    )


def plant_ytm203(demo: DemoBuild) -> None:
    """vault-dirs-missing: the Vault has thumbnails/projects.json but no thumbnails/assets/ (the
    first mirror pass never got that far; seed 002 §4 creates such dirs with --ensure-dirs)."""
    shutil.rmtree(demo.vault / "thumbnails" / "assets")
    demo.instances["YTM203"] = "share/ytm_workspaces/thumbnails/assets/ is missing on the Vault"


FAMILY = Family(
    plugin="vault",
    codes=("YTM201", "YTM202", "YTM203"),
    plants=(plant_ytm201, plant_ytm202, plant_ytm203),
)
