"""`ytm-doctor demo`: build a realistic sample factory to scan (SPEC §11).

The demo is a Hot workspace, a share holding the Vault, local CapCut drafts and planning CSVs, all
real files, directories and symlinks under one destination, plus three configs: the main view
(share mounted), the offline view (share replaced by a mountpoint stub, seed 001 §0.3) and the
gateway view (the wrong export mounted).

Everything is healthy except the instances planted on purpose, one module per check plugin
(`families.FAMILIES`); each records itself in `DemoInfo.instances`. Links are relative so the
tree survives a move; the few recorded absolute paths (draft_path, YTM_PLANNING_ROOT) are what
the real tools record, so a moved demo should simply be rebuilt.

world: names, episodes, the build state; files: byte and file writers; tree_hot, tree_share,
tree_config: the healthy tree and the configs; families and its modules: the planted problems.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from ytm_doctor.demo.families import FAMILIES
from ytm_doctor.demo.tree_config import write_config, write_env_file, write_marker, write_readme
from ytm_doctor.demo.tree_hot import build_drafts, build_workspace
from ytm_doctor.demo.tree_share import build_offline, build_share
from ytm_doctor.demo.world import (
    CONFIG_NAME,
    GATEWAY_CONFIG_NAME,
    MARKER_NAME,
    OFFLINE_CONFIG_NAME,
    DemoBuild,
    DemoInfo,
    Family,
)
from ytm_doctor.errors import UsageError

__all__ = [
    "CONFIG_NAME",
    "FAMILIES",
    "GATEWAY_CONFIG_NAME",
    "MARKER_NAME",
    "OFFLINE_CONFIG_NAME",
    "DemoInfo",
    "Family",
    "build_demo",
]


def build_demo(dest: Path, *, force: bool = False) -> DemoInfo:
    """Build the demo factory under `dest` and return where it is and what was planted.

    A previous demo (marked by `.ytm_doctor_demo`) is removed and rebuilt; any other non-empty
    directory is refused. `force` is accepted for the CLI's sake but never overrides that refusal:
    a foreign directory is not ours to delete.
    """
    del force  # a marked demo is always rebuilt and a foreign dir always refused
    dest = Path(os.path.abspath(os.path.expanduser(dest)))  # abspath: never resolve (SPEC §3)
    _prepare_dest(dest)
    demo = DemoBuild(dest=dest, built_at=datetime.now(timezone.utc).replace(microsecond=0))
    write_marker(demo)
    build_drafts(demo)
    build_workspace(demo)
    build_share(demo)
    build_offline(demo)
    write_env_file(demo)
    for family in FAMILIES:
        _plant(demo, family)
    config = write_config(demo, CONFIG_NAME, share="share", outbox="outbox")
    offline_config = write_config(demo, OFFLINE_CONFIG_NAME, share="offline/share")
    gateway_config = write_config(
        demo, GATEWAY_CONFIG_NAME, share="gateway/share", outbox="gateway/outbox"
    )
    write_readme(demo, config, offline_config)
    return DemoInfo(
        dest=dest,
        config=config,
        offline_config=offline_config,
        gateway_config=gateway_config,
        instances=dict(sorted(demo.instances.items())),
        expected_dangling=sorted(demo.expected_dangling),
    )


def _plant(demo: DemoBuild, family: Family) -> None:
    before = set(demo.instances)
    for plant in family.plants:
        plant(demo)
    # Keep each family's declared codes honest: tests hold the family to firing exactly these.
    planted = set(demo.instances) - before
    if planted != set(family.codes):
        raise AssertionError(
            f"the {family.plugin} family declares {sorted(family.codes)} "
            f"but planted {sorted(planted)}"
        )


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
