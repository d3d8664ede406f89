"""What the user's policy lets the store remove locally: after posting, only the kinds listed in
`store.delete_allowed` (final audio, CapCut draft packs) may leave the workspace once their
stored copy verifies, and a CapCut export once `reclaim.exports_retention_hours` have passed
since posting; the rest (thumbnails/assets, video/runs, scripts) is archive-only. A local file
is released only against its copy in the shared store on the share: an outbox copy is one more
copy on this host's disks, not a second place."""

from __future__ import annotations

import fnmatch
import os
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import iso_seconds
from ytm_doctor.fix.plan import PathRef
from ytm_doctor.workspace import PlanningPolicy, Stage, episode_of

if TYPE_CHECKING:
    from ytm_doctor.context import Context
    from ytm_doctor.workspace import Episode

STORE_PREFIX = "uploads/"  # the shared store's bases on the share: uploads/<namespace>/


def delete_allowed(config: Any, ref: PathRef) -> bool:
    """Whether a --move or --symlink-back may remove `ref` locally. An outbox copy is a staging
    copy of something stored: always."""
    if ref.root == "outbox":
        return True
    if ref.root != "workspace":
        return False
    return any(fnmatch.fnmatchcase(ref.rel, p) for p in config["store.delete_allowed"] or ())


def not_allowed_note(ref: PathRef) -> str:
    return (
        f"{ref} is stored but kept locally: it is archive-only after posting "
        "(store.delete_allowed lists what --move/--symlink-back may remove)"
    )


def is_capcut_export(ref: PathRef) -> bool:
    """A CapCut export: an .mp4 inside a run (`video/runs/<run_id>/...`), outside its remotion/
    output and its images, which is what `store` files as `capcut_exports`."""
    parts = ref.rel.split("/")
    return (
        ref.root == "workspace"
        and len(parts) >= 4
        and parts[:2] == ["video", "runs"]
        and parts[-1].lower().endswith(".mp4")
        and not {"remotion", "images"} & set(parts[3:-1])
    )


def release_refusal(
    ctx: Context, ref: PathRef, source: PathRef, now: float | None = None
) -> str | None:
    """Why the local file `ref` must not be released against `source` now (None: it may).
    Checked by the release operation when it runs, whatever the plan says."""
    if source.root != "share" or not source.rel.startswith(STORE_PREFIX):
        return (
            f"{ref} is kept: {source} is not in the shared store on the share, and only a "
            "copy there lets a local file go (an outbox copy is still on this host)"
        )
    if delete_allowed(ctx.config, ref):
        return None
    if is_capcut_export(ref):
        return export_wait(ctx, ref, now)
    return not_allowed_note(ref)


def export_wait(ctx: Context, ref: PathRef, now: float | None = None) -> str | None:
    """Why the CapCut export `ref` stays local for now (None: its retention is over)."""
    channel, video = episode_of(ref.rel)
    ep = ctx.workspace.episode(channel, video) if channel and video else None
    if ep is None or ep.stage != Stage.PUBLISHED:
        return f"{ref} is kept: a CapCut export is released only once its episode is posted"
    until = export_kept_until(ctx, ep, ref)
    if until is None:
        return f"{ref} is kept: when {ep.id} was posted cannot be read"
    if (time.time() if now is None else now) < until:
        when = iso_seconds(datetime.fromtimestamp(until, timezone.utc))
        return f"{ref} is kept until {when} (reclaim.exports_retention_hours)"
    return None


def export_kept_until(ctx: Context, ep: Episode, ref: PathRef) -> float | None:
    """When the retention of the export `ref` ends: `reclaim.exports_retention_hours` after
    the later of the posting and the export's last change (a re-export starts it again)."""
    posted = posted_at(ctx, ep)
    if posted is None:
        return None
    try:
        changed = os.lstat(os.path.join(ctx.paths.workspace_root, ref.rel)).st_mtime
    except OSError:
        changed = posted
    hours = float(ctx.config["reclaim.exports_retention_hours"] or 0)
    return max(posted, changed) + hours * 3600


def posted_at(ctx: Context, ep: Episode) -> float | None:
    """When `ep` was posted, as late as it can have been: the modification time of each file
    that marks it published (its channel's planning CSV with a published status, its
    status.json with publish_lock) is at or after the moment it was marked, so the earliest of
    them is never before the posting. None when neither can be read."""
    times = []
    if ep.publish_lock and ep.script_dir is not None:
        times.append(ep.script_dir / "status.json")
    published = PlanningPolicy.from_config(ctx.config).published_values
    if ep.planning_status is not None and ep.planning_status.strip() in published:
        times.append(ctx.workspace.planning_root / "channels" / f"{ep.channel}.csv")
    found = []
    for path in times:
        try:
            found.append(os.stat(path).st_mtime)
        except OSError:
            continue
    return min(found) if found else None
