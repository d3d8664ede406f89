"""Mirror and lock checks: is the Vault kept up to date by the Hot → Vault mirror (YTM703), did a
dead process leave a lock behind (YTM704), and how much do the Vault files mirrors replaced take
on the share (YTM706)?

Both read small, known places, never a tree: the newest run logs of
`logs/ops/workspaces_mirror/` (written by `ytm-doctor mirror` and by the old
workspaces_mirror.py alike, seed 002) and the lock files `<report_dir>/*.lock`.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from ytm_doctor.context import Context
from ytm_doctor.facts import LockFacts
from ytm_doctor.lock import LOCK_SUFFIX, judge, lock_path, read_lock
from ytm_doctor.mirror.backups import BACKUP_ROOT, backups_size
from ytm_doctor.mirror.history import MirrorRun, mirror_history
from ytm_doctor.mirror.names import LOCK_NAME, LOG_DIR
from ytm_doctor.model import Check, Finding, Rule, Severity
from ytm_doctor.paths import relative_to
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.schedule.jobs import mirror_record

MIRROR_STALE = Rule(
    code="YTM703",
    name="mirror-stale",
    severity=Severity.WARNING,
    summary="the last successful Hot -> Vault mirror is older than mirror.stale_after_minutes, "
    "the last mirror run failed, or a scheduled mirror never ran",
    tags=("mirror", "vault"),
    fixer="mirror",
    needs_share=True,
)
STALE_LOCK = Rule(
    code="YTM704",
    name="stale-lock",
    severity=Severity.WARNING,
    summary="a lock (mirror, scan, store) whose owner process is gone or whose heartbeat is stale",
    tags=("lock", "mirror"),
    fixer="clear-stale-lock",
)

MIRROR_BACKUPS = Rule(
    code="YTM706",
    name="mirror-backups",
    severity=Severity.INFO,
    summary="Vault files the mirror deleted or overwrote, kept on the share: how many runs, "
    "how much space, until when",
    tags=("mirror", "share"),
    needs_share=True,
)


# --- YTM703 -----------------------------------------------------------------------------------


class MirrorStale(Check):
    rule = MIRROR_STALE

    def finish(self, ctx: Context) -> list[Finding]:
        if not ctx.share.mounted:
            return []  # the share is down: YTM101's finding, and no mirror can run anyway
        ws = os.fspath(ctx.paths.workspace_root)
        last, success = mirror_history(ws)
        limit = int(ctx.config["mirror.stale_after_minutes"])
        now = datetime.now(timezone.utc)
        if last is None:
            # No run on record: a host that does not mirror (CI, a fresh workspace), unless a
            # mirror job was scheduled here. Once one mirror ran, its logs say when the next
            # one is late.
            return _never_mirrored(ctx, limit)
        if not last.ok:
            problem = "failed"
            ago = (now - last.finished).total_seconds() / 60
            message = f"the last mirror run ({ago:.0f} min ago) failed: {last.reason}"
            message += _since(success, now)
        elif (now - success.finished).total_seconds() / 60 > limit:
            problem = "stale"
            ago = (now - success.finished).total_seconds() / 60
            message = f"the last mirror finished {ago:.0f} min ago (limit {limit} min)"
        else:
            return []
        details: dict[str, Any] = {
            "problem": problem,
            "stale_after_minutes": limit,
            "last_run": last.to_json(now) if last else None,
            "last_success": success.to_json(now) if success else None,
        }
        running = _running_mirror(ctx)
        if running:
            details["running"] = running
            message += f"; a mirror is running now ({running})"
        folder = os.path.join(ws, LOG_DIR)
        return [
            MIRROR_STALE.finding(
                message, root="workspace", path=LOG_DIR, abs_path=folder, details=details
            )
        ]


def _never_mirrored(ctx: Context, limit: int) -> list[Finding]:
    record = mirror_record(ctx.paths.report_dir)
    if record is None:
        return []
    ws = os.fspath(ctx.paths.workspace_root)
    message = (
        "never mirrored: a mirror job is scheduled (`ytm-doctor schedule status --job mirror`) "
        "but no mirror run is recorded"
    )
    details = {"problem": "never", "stale_after_minutes": limit, "scheduled": record}
    running = _running_mirror(ctx)
    if running:
        details["running"] = running
        message += f"; a mirror is running now ({running})"
    return [
        MIRROR_STALE.finding(
            message,
            root="workspace",
            path=LOG_DIR,
            abs_path=os.path.join(ws, LOG_DIR),
            details=details,
        )
    ]


def _since(success: MirrorRun | None, now: datetime) -> str:
    if success is None:
        return "; no successful mirror is recorded"
    ago = (now - success.finished).total_seconds() / 60
    return f"; the last successful one finished {ago:.0f} min ago"


def _running_mirror(ctx: Context) -> str | None:
    path = lock_path(ctx.paths.report_dir, LOCK_NAME)
    info = read_lock(path)
    if info is None:
        return None
    stale_after = float(ctx.config["locks.stale_after_sec"])
    return None if judge(info, stale_after).stale else info.describe()


# --- YTM704 -----------------------------------------------------------------------------------


class StaleLock(Check):
    rule = STALE_LOCK

    def finish(self, ctx: Context) -> list[Finding]:
        report_dir = os.fspath(ctx.paths.report_dir)
        stale_after = float(ctx.config["locks.stale_after_sec"])
        try:
            with os.scandir(report_dir) as it:
                locks = sorted(
                    e.path
                    for e in it
                    if e.name.endswith(LOCK_SUFFIX)
                    and not e.name.startswith(".")
                    and e.is_file(follow_symlinks=False)
                )
        except OSError:
            return []  # no report dir yet: no lock either
        findings = []
        for path in locks:
            finding = self._judge(ctx, path, stale_after)
            if finding is not None:
                findings.append(finding)
        return findings

    def _judge(self, ctx: Context, path: str, stale_after: float) -> Finding | None:
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return None  # released since the listing
        info = read_lock(path)
        verdict = judge(info, stale_after, mtime=mtime)
        if not verdict.stale and not verdict.silent:
            return None
        name = os.path.basename(path)[: -len(LOCK_SUFFIX)]
        facts = LockFacts(name, verdict.reason, info.to_json() if info else None, stale_after)
        unfixable = None
        owner = ""
        if info is not None:
            owner = f" ({info.command or name}, pid {info.pid} on {info.host}, started "
            owner += f"{info.to_json()['started_at']})"
        if info is None:
            message = f"the {name} lock cannot be read: its writer died while writing it"
        elif verdict.stale:
            message = f"the {name} lock is stale: {verdict.reason}{owner}"
        else:
            message = f"the {name} lock's owner still runs but is silent: {verdict.reason}{owner}"
            unfixable = (
                f"pid {info.pid} still runs: stop it first (kill {info.pid}); its lock is "
                "then taken over by the next run"
            )
        rel = relative_to(path, ctx.paths.workspace_root)
        return STALE_LOCK.finding(
            message,
            root="workspace",
            path=rel,
            abs_path=path,
            details=facts.to_details(),
            unfixable=unfixable,
        )


# --- YTM706 -----------------------------------------------------------------------------------


class MirrorBackups(Check):
    """One small walk of the share's ytm_mirror_backups/ (it holds only what mirrors replaced)."""

    rule = MIRROR_BACKUPS

    def finish(self, ctx: Context) -> list[Finding]:
        if not ctx.share.online:
            return []
        share = os.fspath(ctx.paths.share_root)
        folders, size = backups_size(share)
        if not folders:
            return []
        keep = int(ctx.config["mirror.backup_keep_days"] or 0)
        until = f"each kept {keep} days after its run" if keep else "kept until removed by hand"
        mib = size / (1 << 20)
        return [
            MIRROR_BACKUPS.finding(
                f"{folders} mirror {'run' if folders == 1 else 'runs'} kept {mib:.1f} MiB of "
                f"Vault files they replaced in {BACKUP_ROOT}/ ({until}; "
                "`ytm-doctor undo RUN_ID --run` puts a run's back)",
                root="share",
                path=BACKUP_ROOT,
                abs_path=os.path.join(share, BACKUP_ROOT),
                details={"runs": folders, "bytes": size, "keep_days": keep},
            )
        ]


@hookimpl
def ytm_doctor_collect_checks():
    return [MirrorStale(), StaleLock(), MirrorBackups()]
