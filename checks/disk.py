"""YTM501 low-disk: free space on each volume the Hot work depends on (seed 001 §0.3 P0-3);
YTM502 reclaimable-space: what `ytm-doctor reclaim` could free of published episodes.

Generation, CapCut and caches fill a disk in one go; below `disk.stop_free_gib` work must stop
and space be reclaimed first, below `disk.warn_free_gib` it is time to plan that. Roots that
share a volume are reported together, once: freeing space helps all of them at the same time.
The reclaimable space is judged by size and time against the store's manifests (no hashing):
`reclaim` itself verifies every stored copy before a local file goes.
"""

from __future__ import annotations

import os
import shutil

from ytm_doctor.context import Context
from ytm_doctor.model import Check, Finding, Rule, Severity
from ytm_doctor.mount import mount_of
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.text import plural, size
from ytm_doctor.volumes import LocalRoot, by_volume, local_roots

GIB = 1024**3

RULE = Rule(
    code="YTM501",
    name="low-disk",
    severity=Severity.VIOLATION,
    summary="free space of a volume holding the workspace, drafts or outbox is below threshold",
    tags=("disk", "hot"),
)
RECLAIMABLE = Rule(
    code="YTM502",
    name="reclaimable-space",
    severity=Severity.INFO,
    summary="a published episode's local files that `ytm-doctor reclaim` can free against "
    "their copies in the shared store",
    tags=("disk", "published", "store"),
    needs_share=True,
)


def _describe(root: LocalRoot) -> dict[str, str]:
    item = {"name": root.name, "path": os.fspath(root.path)}
    if root.measured != root.path:
        item["measured_at"] = os.fspath(root.measured)
    return item


class LowDisk(Check):
    rule = RULE

    def finish(self, ctx: Context) -> list[Finding]:
        warn = float(ctx.config["disk.warn_free_gib"])
        stop = float(ctx.config["disk.stop_free_gib"])
        findings = []
        for device, roots in by_volume(local_roots(ctx.paths)).items():
            try:
                usage = shutil.disk_usage(roots[0].measured)  # free = f_bavail: what users get
            except OSError:
                continue
            free_gib = usage.free / GIB
            if free_gib < stop:
                severity, limit, which = Severity.VIOLATION, stop, "stop"
            elif free_gib < warn:
                severity, limit, which = Severity.WARNING, warn, "warn"
            else:
                continue
            mount = mount_of(roots[0].measured, ctx.mounts)
            names = ", ".join(r.name for r in roots)
            where = f" (mounted at {mount.mountpoint})" if mount else ""
            message = (
                f"{free_gib:.1f} GiB free on the volume holding {names}{where}, below the "
                f"{which} threshold of {limit:g} GiB; reclaim space before generating or editing"
            )
            # What reclaim frees lies in the workspace: named on the workspace's volume only.
            freeable = _reclaimable(ctx) if any(r.name == "workspace" for r in roots) else 0
            if freeable:
                message += f"; `ytm-doctor reclaim` can free {size(freeable)} (YTM502)"
            details = {
                "free_bytes": usage.free,
                "free_gib": round(free_gib, 1),
                "total_bytes": usage.total,
                "warn_free_gib": warn,
                "stop_free_gib": stop,
                "roots": [_describe(r) for r in roots],
                "device": device,
                "mountpoint": mount.mountpoint if mount else None,
                "reclaimable_bytes": freeable,
            }
            findings.append(
                RULE.finding(
                    message,
                    root=roots[0].name,
                    path=".",
                    abs_path=os.fspath(roots[0].path),
                    severity=severity,
                    details=details,
                )
            )
        return findings


def _reclaimable(ctx: Context) -> int:
    return sum(space.reclaimable for space in ctx.reclaimable)


class ReclaimableSpace(Check):
    """One finding per published episode with files `reclaim` can release now: info, a
    warning while the workspace's volume is below `disk.warn_free_gib`."""

    rule = RECLAIMABLE

    def finish(self, ctx: Context) -> list[Finding]:
        spaces = [s for s in ctx.reclaimable if s.reclaimable]
        if not spaces:
            return []
        warn = float(ctx.config["disk.warn_free_gib"])
        try:
            free = shutil.disk_usage(ctx.paths.workspace_root).free
        except OSError:
            free = None
        low = free is not None and free / GIB < warn
        findings = []
        for space in spaces:
            released = [i for i in space.items if i.verdict == "release"]
            command = f"ytm-doctor reclaim --channel {space.channel} --video {space.video}"
            message = (
                f"{size(space.reclaimable)} of published {space.episode} can be freed "
                f"({plural(len(released), 'local file')}, each with its copy on the share): "
                f"`{command}` lists them, `--run` releases them (undo copies them back)"
            )
            if low:
                message += f"; the workspace's volume is below {warn:g} GiB free"
            details = {
                "reclaimable_bytes": space.reclaimable,
                "files": [i.ref.rel for i in released],
                "command": command,
                "free_bytes": free,
            }
            findings.append(
                RECLAIMABLE.finding(
                    message,
                    root="workspace",
                    path=".",
                    abs_path=os.fspath(ctx.paths.workspace_root),
                    severity=Severity.WARNING if low else Severity.INFO,
                    channel=space.channel,
                    video=space.video,
                    details=details,
                )
            )
        return findings


@hookimpl
def ytm_doctor_collect_checks():
    return [LowDisk(), ReclaimableSpace()]
