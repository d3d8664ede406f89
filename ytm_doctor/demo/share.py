"""Planted for the share checks: YTM101 share-stub-mount (offline view) and YTM102
share-degraded (gateway view)."""

from __future__ import annotations

from ytm_doctor.demo.files import symlink, write_text
from ytm_doctor.demo.world import (
    GATEWAY_CONFIG_NAME,
    NAMESPACE,
    OFFLINE_CONFIG_NAME,
    DemoBuild,
    Family,
)
from ytm_doctor.paths import STUB_MARKER_NAME


def plant_ytm101(demo: DemoBuild) -> None:
    """share-stub-mount: the offline view's share root is a mountpoint stub."""
    text = (
        "This directory is a mount point stub: the SMB share (Lenovo external drive) is not "
        "mounted here.\n"
        "共有（SMB）はここにマウントされていません（mountpoint stub）。"
        "ytm_workspaces はローカル退避先（outbox）への symlink です。\n"
    )
    write_text(demo.offline_share / STUB_MARKER_NAME, text)
    demo.instances["YTM101"] = (
        f"offline/share/{STUB_MARKER_NAME}: the share root of {OFFLINE_CONFIG_NAME} is a stub"
    )


def plant_ytm102(demo: DemoBuild) -> None:
    """share-degraded: the gateway view mounted the wrong export: ytm_workspaces/ and
    asset_vault/ are there (the same Vault), but the store's base uploads/<namespace>/ is not."""
    share = demo.dest / "gateway" / "share"
    share.mkdir(parents=True)
    for name in ("ytm_workspaces", "asset_vault"):
        symlink(share / name, demo.share / name)
    demo.instances["YTM102"] = (
        f"gateway/share has no uploads/{NAMESPACE}/: the share of {GATEWAY_CONFIG_NAME} is "
        "degraded (the wrong export is mounted)"
    )


FAMILY = Family(plugin="share", codes=("YTM101", "YTM102"), plants=(plant_ytm101, plant_ytm102))
