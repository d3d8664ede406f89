"""The stop threshold, enforced where bytes come into being.

Below `disk.stop_free_gib` a full disk corrupts half-written drafts and renders, so no action
(a copy, a store into the outbox, a write, an undo that copies a file back) may leave a local
volume with less than that free. Each operation says how many bytes it adds
(`Operation.adds_bytes`, `undo_adds_bytes`); the Executor asks here before the action runs.
Removing, releasing and renaming add nothing, so they still run below the threshold: that is
how space is freed (`ytm-doctor reclaim`). The share's own free space is not judged here: it is
another machine's disk, and YTM501 watches only the volumes of this host's roots.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.mount import mount_of
from ytm_doctor.paths import nearest_existing
from ytm_doctor.text import size

if TYPE_CHECKING:
    from ytm_doctor.context import Context

GIB = 1024**3


def landing_dir(path: str) -> str:
    """The existing directory whose volume the bytes written at `path` land on."""
    return os.fspath(nearest_existing(Path(os.path.dirname(path) or ".")))


def device_of(where: str) -> int:
    return os.stat(where).st_dev


def space_problem(ctx: Context, where: str, need: int) -> str | None:
    """Why writing `need` more bytes to the volume holding the existing directory `where` is
    refused (one line naming the volume, its free space and `reclaim`), or None."""
    stop_gib = float(ctx.config["disk.stop_free_gib"])
    if need <= 0 or stop_gib <= 0:
        return None
    free = shutil.disk_usage(where).free  # f_bavail: what an ordinary user may still write
    if free - need >= stop_gib * GIB:
        return None
    mount = mount_of(where, ctx.mounts)
    volume = f"the volume mounted at {mount.mountpoint}" if mount else f"the volume of {where}"
    return (
        f"{volume} has {free / GIB:.1f} GiB free; writing {size(need)} more there would leave "
        f"less than disk.stop_free_gib ({stop_gib:g} GiB): free space first with "
        "`ytm-doctor reclaim`"
    )
