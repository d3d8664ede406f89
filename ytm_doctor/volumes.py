"""The local roots grouped by the volume they live on: what YTM501 judges against
disk.warn_free_gib / disk.stop_free_gib and what `ytm-doctor status` shows, from one list."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.paths import nearest_existing

if TYPE_CHECKING:
    from ytm_doctor.paths import Paths


@dataclass(frozen=True)
class LocalRoot:
    name: str  # workspace, drafts, outbox
    path: Path  # as configured
    measured: Path  # where the volume is measured: the path, or its nearest existing ancestor


def local_roots(paths: Paths) -> list[LocalRoot]:
    """The configured local roots that live on some volume now. A missing draft root is
    YTM100's finding (and measuring its parent could name the wrong disk, e.g. an unplugged
    one); the outbox is created on demand, so the volume it will be created on is the one that
    counts."""
    roots = [LocalRoot("workspace", paths.workspace_root, paths.workspace_root)]
    if paths.draft_root is not None and paths.draft_root.is_dir():
        roots.append(LocalRoot("drafts", paths.draft_root, paths.draft_root))
    outbox = paths.fallback_root
    roots.append(LocalRoot("outbox", outbox, nearest_existing(outbox)))
    return roots


def by_volume(roots: list[LocalRoot]) -> dict[int, list[LocalRoot]]:
    """Roots grouped by device, in the order the roots were named."""
    volumes: dict[int, list[LocalRoot]] = {}
    for root in roots:
        try:
            device = os.stat(root.measured).st_dev
        except OSError:
            continue  # vanished or unreadable: nothing to measure
        volumes.setdefault(device, []).append(root)
    return volumes
