"""`ytm-doctor status`: where everything points and what state it is in now, without a walk.

The seeds' `./ops storage doctor` and seed 004's status file on one screen: every resolved path
and where its value came from, the share's state and where `ytm_workspaces` really leads, free
space per volume against the thresholds, who holds each lock, the last mirror run, what waits in
the outbox and the last saved scan. Each part is a few stats, one directory listing or one small
JSON read; nothing here walks a tree or writes anything.

The verdict (exit 1) is kept to what needs a person now: the share not usable (stub, unmounted,
missing, degraded), a local volume below `disk.stop_free_gib`, a lock left by a dead owner (or
whose live owner went silent), or a last full scan that failed. What deserves a look but not a
failure (below the warning threshold, the mirror failed or stale, outbox items pending, no scan
or an old one) is a warning.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import parse_utc
from ytm_doctor.jsonio import JsonInputError, read_json_object
from ytm_doctor.lock import LOCK_SUFFIX, judge, read_lock
from ytm_doctor.mirror.history import mirror_history
from ytm_doctor.mount import mount_of, mount_table, share_state
from ytm_doctor.paths import is_under
from ytm_doctor.report import LATEST_MAX_BYTES, LATEST_NAME
from ytm_doctor.store.manifest import load_manifests
from ytm_doctor.volumes import by_volume, local_roots

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.mount import MountInfo

SCHEMA = "ytm_doctor.status.v1"
GIB = 1024**3
# The locks the tool takes, shown even when free; any other *.lock in the report dir is
# shown too (a plugin's, or an old name).
KNOWN_LOCKS = ("scan", "fix", "mirror", "store")
SHARE_WORDS = {
    "stub": "down: a mountpoint stub (not mounted)",
    "unmounted": "not mounted (shared_storage.require_mount)",
    "missing": "missing: no directory at its root",
}


@dataclass(frozen=True)
class PathRow:
    name: str
    path: str | None
    source: str  # "file (/x/ytm-doctor.yaml)", "env (YTM_...)", "flag (--...)", default, derived
    exists: bool


@dataclass(frozen=True)
class WorkspacesLink:
    """Where `<share>/ytm_workspaces` leads: a directory, a link (its text), or nothing."""

    path: str
    kind: str  # directory, symlink, missing, other
    link_text: str | None
    realpath: str
    exists: bool  # the final target is there
    on_share: bool  # the real path is inside the share root (a stub links to the outbox)


@dataclass(frozen=True)
class Volume:
    roots: list[str]  # names of the roots on it: workspace, drafts, outbox, share
    path: str  # where it was measured
    mountpoint: str | None
    free_bytes: int
    total_bytes: int
    level: str  # ok, warn, stop; "-" for the share (the thresholds are for local volumes)

    @property
    def free_gib(self) -> float:
        return self.free_bytes / GIB


@dataclass(frozen=True)
class LockRow:
    name: str
    path: str
    state: str  # free, held, silent, stale, being-written
    reason: str | None
    holder: dict[str, Any] | None  # host, pid, command, started_at, heartbeat, child_pid
    heartbeat_age_s: float | None


@dataclass
class Status:
    config_file: str | None
    paths: list[PathRow]
    share: dict[str, Any]
    workspaces: WorkspacesLink
    thresholds: dict[str, float]
    volumes: list[Volume]
    locks: list[LockRow]
    mirror: dict[str, Any]
    outbox: dict[str, Any]
    last_scan: dict[str, Any]
    problems: list[str] = field(default_factory=list)  # each fails the status (exit 1)
    warnings: list[str] = field(default_factory=list)
    checked_at: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "checked_at": self.checked_at,
            "config_file": self.config_file,
            "paths": [asdict(p) for p in self.paths],
            "share": self.share,
            "ytm_workspaces": asdict(self.workspaces),
            "thresholds": self.thresholds,
            "volumes": [{**asdict(v), "free_gib": round(v.free_gib, 1)} for v in self.volumes],
            "locks": [asdict(lock) for lock in self.locks],
            "mirror": self.mirror,
            "outbox": self.outbox,
            "last_scan": self.last_scan,
            "problems": self.problems,
            "warnings": self.warnings,
            "exit_code": self.exit_code,
        }


def gather(config: Config, now: float | None = None) -> Status:
    """The status of this host's configuration now (see the module docstring)."""
    now = time.time() if now is None else now
    paths = config.paths
    table = mount_table()
    share = share_state(paths, config["shared_storage.require_mount"], table)
    status = Status(
        config_file=os.fspath(config.file) if config.file else None,
        paths=path_rows(config),
        share=share.to_json(),
        workspaces=workspaces_link(paths.vault_workspaces_root, paths.share_root),
        thresholds={
            "warn_free_gib": float(config["disk.warn_free_gib"]),
            "stop_free_gib": float(config["disk.stop_free_gib"]),
        },
        volumes=volumes(config, share.mounted, table),
        locks=locks(paths.report_dir, float(config["locks.stale_after_sec"]), now),
        mirror=mirror_state(config, now),
        outbox=outbox_state(paths.fallback_root / "uploads" / paths.namespace),
        last_scan=last_scan(paths.report_dir, now),
        checked_at=datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    judge_status(status, share.status, float(config["fleet.stale_after_minutes"]))
    return status


def path_rows(config: Config) -> list[PathRow]:
    """Every root the tool uses, with the layer its value came from (config.py's Setting)."""
    paths = config.paths
    rows = []

    def add(name: str, path: Path | None, source: str) -> None:
        shown = os.fspath(path) if path is not None else None
        rows.append(PathRow(name, shown, source, path is not None and os.path.lexists(path)))

    def setting(key: str) -> str:
        return config.settings[key].describe_source()

    add("workspace_root", paths.workspace_root, setting("workspace_root"))
    add("shared_storage.root", paths.share_root, setting("shared_storage.root"))
    add("vault (ytm_workspaces)", paths.vault_workspaces_root, "derived from the share root")
    add("shared store base", paths.shared_base, "derived: share root, uploads/<namespace>")
    planning = "derived from the share root" if paths.planning_root_derived else None
    add("planning_root", paths.planning_root, planning or setting("planning_root"))
    outbox_src = setting("shared_storage.fallback_root")
    if paths.fallback_root_derived:
        outbox_src = "derived (the stub's ytm_workspaces link, else the user data dir)"
    add("fallback_root (outbox)", paths.fallback_root, outbox_src)
    add("capcut.draft_root", paths.draft_root, setting("capcut.draft_root"))
    add("report_dir", paths.report_dir, "derived from workspace_root")
    return rows


def workspaces_link(vault: Path, share_root: Path) -> WorkspacesLink:
    text = None
    if vault.is_symlink():
        kind = "symlink"
        try:
            text = os.readlink(vault)
        except OSError:
            text = "?"
    elif vault.is_dir():
        kind = "directory"
    elif os.path.lexists(vault):
        kind = "other"
    else:
        kind = "missing"
    real = os.path.realpath(vault)
    share_real = os.path.realpath(share_root)
    return WorkspacesLink(
        path=os.fspath(vault),
        kind=kind,
        link_text=text,
        realpath=real,
        exists=os.path.isdir(real),
        on_share=is_under(real, share_real),
    )


def volumes(config: Config, share_mounted: bool, table: list[MountInfo]) -> list[Volume]:
    """Free space per volume of the local roots (judged against the thresholds), and of the
    share while it is mounted (shown only: nothing local is written there)."""
    groups = [
        [(root.name, root.measured) for root in group]
        for group in by_volume(local_roots(config.paths)).values()
    ]
    if share_mounted:
        # The share is never grouped with a local root: it is not judged.
        groups.append([("share", config.paths.share_root)])
    warn, stop = float(config["disk.warn_free_gib"]), float(config["disk.stop_free_gib"])
    found = []
    for group in groups:
        where = group[0][1]
        try:
            usage = shutil.disk_usage(where)
        except OSError:
            continue
        free = usage.free / GIB
        if group[0][0] == "share":
            level = "-"
        else:
            level = "stop" if free < stop else "warn" if free < warn else "ok"
        mount = mount_of(where, table)
        found.append(
            Volume(
                roots=[name for name, _ in group],
                path=os.fspath(where),
                mountpoint=mount.mountpoint if mount else None,
                free_bytes=usage.free,
                total_bytes=usage.total,
                level=level,
            )
        )
    return found


def locks(report_dir: Path, stale_after: float, now: float) -> list[LockRow]:
    names = set(KNOWN_LOCKS)
    try:
        with os.scandir(report_dir) as it:
            names.update(
                e.name[: -len(LOCK_SUFFIX)]
                for e in it
                if e.name.endswith(LOCK_SUFFIX)
                and not e.name.startswith(".")
                and e.is_file(follow_symlinks=False)
            )
    except OSError:
        pass  # no report dir yet: every lock is free
    rows = []
    for name in [*KNOWN_LOCKS, *sorted(names - set(KNOWN_LOCKS))]:
        path = report_dir / f"{name}{LOCK_SUFFIX}"
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            rows.append(LockRow(name, os.fspath(path), "free", None, None, None))
            continue
        info = read_lock(path)
        verdict = judge(info, stale_after, now, mtime=mtime)
        if verdict.stale:
            state = "stale"
        elif info is None:
            state = "being-written"
        else:
            state = "silent" if verdict.silent else "held"
        holder = info.to_json() if info else None
        age = round(now - info.heartbeat, 1) if info else None
        rows.append(LockRow(name, os.fspath(path), state, verdict.reason, holder, age))
    return rows


def mirror_state(config: Config, now: float) -> dict[str, Any]:
    last, success = mirror_history(os.fspath(config.paths.workspace_root))
    limit = float(config["mirror.stale_after_minutes"])
    moment = datetime.fromtimestamp(now, timezone.utc)
    if last is None:
        state = "never"
    elif not last.ok:
        state = "failed"
    elif success is not None and (moment - success.finished).total_seconds() / 60 > limit:
        state = "stale"
    else:
        state = "ok"
    return {
        "state": state,
        "stale_after_minutes": limit,
        "last_run": last.to_json(moment) if last else None,
        "last_success": success.to_json(moment) if success else None,
    }


def outbox_state(base: Path) -> dict[str, Any]:
    """What store wrote to the outbox while the share was down and is not flushed yet: its
    manifests (flush-outbox retires each one it moved to the share)."""
    manifests = load_manifests(base)
    files = sum(len(m.entries) for m in manifests)
    size = sum(e.size or 0 for m in manifests for e in m.entries)
    return {
        "base": os.fspath(base),
        "manifests": len(manifests),
        "files": files,
        "bytes": size,
        "unreadable": sum(1 for m in manifests if m.problem),
        "oldest": min((m.created_at for m in manifests if m.created_at), default=None),
    }


def last_scan(report_dir: Path, now: float) -> dict[str, Any]:
    """The last full scan saved here (latest.json): when, on which host, its counts."""
    path = report_dir / LATEST_NAME
    if not os.path.lexists(path):
        return {"path": os.fspath(path), "state": "none"}
    try:
        data = read_json_object(path, max_bytes=LATEST_MAX_BYTES, what="last report")
    except JsonInputError as exc:
        return {"path": os.fspath(path), "state": "unreadable", "problem": str(exc)}
    run = data.get("run") if isinstance(data.get("run"), dict) else {}
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    started = parse_utc(run.get("started"))
    return {
        "path": os.fspath(path),
        "state": "ok",
        "run_id": run.get("id"),
        "host": run.get("host"),
        "started": run.get("started"),
        "age_s": round(now - started.timestamp(), 1) if started else None,
        "violations": summary.get("violations_total"),
        "warnings": summary.get("warnings_total"),
        "info": summary.get("info_total"),
        "unknown": summary.get("unknown_total"),
        "exit_code": summary.get("exit_code"),
    }


def judge_status(status: Status, share: str, scan_stale_minutes: float) -> None:
    """Fill `problems` (exit 1) and `warnings`, one sentence each."""
    problems, warnings = status.problems, status.warnings
    if share != "online":
        words = SHARE_WORDS.get(share, share)
        if share == "degraded":
            words = "degraded: " + "; ".join(status.share.get("problems") or [])
        problems.append(f"the share is {words}")
    link = status.workspaces
    if share == "online" and not link.on_share:
        warnings.append(f"ytm_workspaces leads off the share, to {link.realpath}")
    for vol in status.volumes:
        names = ", ".join(vol.roots)
        limit = status.thresholds["stop_free_gib" if vol.level == "stop" else "warn_free_gib"]
        text = f"{vol.free_gib:.1f} GiB free on the volume of {names}"
        text += f" (below the {vol.level} threshold of {limit:g} GiB)"
        if vol.level == "stop":
            problems.append(text)
        elif vol.level == "warn":
            warnings.append(text)
    for lock in status.locks:
        if lock.state in ("stale", "silent"):
            problems.append(f"the {lock.name} lock is {lock.state}: {lock.reason}")
    mirror = status.mirror
    if mirror["state"] == "failed":
        warnings.append(f"the last mirror run failed: {mirror['last_run']['reason']}")
    elif mirror["state"] == "stale":
        ago = mirror["last_success"]["minutes_ago"]
        warnings.append(f"the last successful mirror finished {ago:.0f} min ago")
    if status.outbox["manifests"]:
        warnings.append(
            f"{status.outbox['manifests']} outbox manifest(s), {status.outbox['files']} file(s) "
            "not flushed to the share yet"
        )
    scan = status.last_scan
    if scan["state"] == "none":
        warnings.append("no full scan saved yet")
    elif scan["state"] == "unreadable":
        warnings.append(f"the last report cannot be read: {scan['problem']}")
    else:
        if scan.get("exit_code") == 1:
            problems.append(
                f"the last full scan failed: {scan.get('violations')} violation(s), "
                f"{scan.get('unknown') or 0} unknown"
            )
        age = scan.get("age_s")
        if age is not None and age > scan_stale_minutes * 60:
            warnings.append(f"the last full scan is {age / 3600:.0f} h old")
