"""The Hot → Vault mirror (SPEC §6.3, seeds 001 Step C and 002), driving the real rsync.

`ytm-doctor mirror` copies `<workspace_root>/` to `<vault_workspaces_root>/`:

- delete-sync by default (`--delete-delay`: nothing is deleted before everything was sent;
  `--no-delete`: copy only), refused without a valid Vault sentinel (YTM201's condition);
- the sentinel is neither sent nor deleted; `mirror.exclude` (planning/: the SoT lives on the
  Vault) is neither sent nor deleted;
- `mirror.protected` (scripts/, thumbnails/assets/, video/runs/) is sent but never deleted on
  the Vault: `P /x` and `P /x/***` in the one rsync run (a bare `P /x/` would protect the
  folder, not the files in it);
- video/input: Hot's real dirs and files one and two levels down are sent, and inside them the
  mirror is a mirror; Hot's links there are not sent, nothing the Vault has at those two levels
  is deleted (its portable links, what the Lenovo side added), and a Hot dir where the Vault
  has a link is skipped, so no link is replaced or written through (seed 002);
- a Hot link into the share (what `store --symlink-back` leaves, a capcut_draft archived on the
  share) reaches the Vault as a link relative to the share, which resolves on every host; the
  mirror writes it itself (ytm_doctor/mirror/links.py), rsync neither sends nor deletes it;
- other links that lead outside the workspace (absolute ones, such as a run's capcut_draft
  pointing at the Mac's local draft) are not copied (`--safe-links`): they would dangle on
  every other host, which is how host-specific links got into the Vault before (seed 002,
  2026-01-25); a link that loops is not sent either;
- the live lock files of the report dir are not sent.

A dry-run is `rsync --dry-run --itemize-changes`, summarised as creates, updates and deletes.
Every run, dry or real, writes `logs/ops/workspaces_mirror/workspaces_mirror__<stamp>.json`
(YTM703 reads it). A real run goes through the Executor as an `rsync` action: journaled, audited,
under the `mirror` lock, what it replaces on the Vault kept (ytm_doctor/mirror/backups.py). The
command is ytm_doctor/mirror/command.py; the fixer of YTM703 is fixers/mirror.py.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import create_atomic
from ytm_doctor.clock import file_stamp, iso_seconds, utc_now
from ytm_doctor.errors import UsageError
from ytm_doctor.identity import current_user, host_name
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.lock import Lock, lock_path
from ytm_doctor.mirror.filters import InputPlan, plan_input, plan_rules
from ytm_doctor.mirror.links import LinkPlan, Portable, plan_links, walk_skips, write_links
from ytm_doctor.mirror.linkwalk import CACHE_NAME
from ytm_doctor.mirror.names import LOCK_NAME, LOG_DIR, LOG_PREFIX, RSYNC_EXIT
from ytm_doctor.mirror.rsync import (
    MAX_MESSAGES,
    Changes,
    Rsync,
    RsyncRun,
    rsync_argv,
    run_rsync,
    sigterm_interrupts,
)
from ytm_doctor.mount import share_state
from ytm_doctor.paths import SENTINEL_NAME
from ytm_doctor.sentinel import sentinel_problem as read_sentinel_problem
from ytm_doctor.standins import current_standins

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.paths import Paths

SCHEMA = "ytm.workspaces_mirror.v1"
OK_CODES = (0, 24)  # 24: files vanished on Hot while being sent; they go next run

# -- settings and the rsync binary -----------------------------------------------------------


@dataclass(frozen=True)
class MirrorSettings:
    rsync_bin: str | None
    rsync_bin_source: str
    nice: int
    timeout_sec: int
    bwlimit_kbps: int
    whole_file: bool
    protected: tuple[str, ...]
    exclude: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Config) -> MirrorSettings:
        return cls(
            rsync_bin=config["mirror.rsync_bin"] or None,
            rsync_bin_source=config.settings["mirror.rsync_bin"].describe_source(),
            nice=int(config["mirror.nice"] or 0),
            timeout_sec=int(config["mirror.timeout_sec"] or 0),
            bwlimit_kbps=int(config["mirror.bwlimit_kbps"] or 0),
            whole_file=bool(config["mirror.whole_file"]),
            protected=tuple(_subtree(p) for p in config["mirror.protected"] or ()),
            exclude=tuple(_subtree(p) for p in config["mirror.exclude"] or ()),
        )


def _subtree(value: str) -> str:
    rel = value.strip().strip("/")
    if not rel or rel == "." or ".." in rel.split("/"):
        raise UsageError(f"mirror: {value!r} is not a subtree of the workspace")
    return rel


# -- what may be mirrored now --------------------------------------------------------------


def share_refusal(paths: Paths, require_mount: bool, *, ensure_dirs: bool = False) -> str | None:
    """Why the share cannot receive the mirror now (None: it can). With `ensure_dirs`, a
    missing ytm_workspaces/ or uploads/<namespace>/ is not a reason: a fresh Vault has
    neither, and both are about to be created (mirror/prepare.py)."""
    state = share_state(paths, require_mount)
    if not state.mounted:
        what = {"stub": "a stub (README_MOUNTPOINT.txt)", "missing": "missing"}
        return (
            f"the share {paths.share_root} is {what.get(state.status, 'not mounted')}: the "
            "mirror waits for the share to be mounted (ytm-doctor explain YTM101); nothing "
            "was written"
        )
    creatable = (
        f"{paths.vault_workspaces_root.name}/ is missing",
        f"uploads/{paths.namespace}/ is missing",
    )
    problems = [p for p in state.problems if not (ensure_dirs and p in creatable)]
    if problems:
        hint = " or add --ensure-dirs" if set(creatable) & set(problems) else ""
        return (
            f"the share is degraded ({'; '.join(problems)}): the mirror waits until it is "
            f"usable (ytm-doctor explain YTM102{hint}); nothing was written"
        )
    return None


def sentinel_problem(paths: Paths) -> tuple[str, str] | None:
    """(problem, description) when the Vault sentinel is not valid for this namespace — the
    very condition of YTM201, read by the same core module — else None."""
    found = read_sentinel_problem(paths.sentinel, paths.namespace)
    if found is None:
        return None
    problem, error = found.kind, found.error
    what = "is missing" if problem == "missing" else f"is not valid ({problem}: {error})"
    return problem, f"the Vault sentinel {paths.sentinel} {what}"


def delete_refusal(paths: Paths) -> str | None:
    found = sentinel_problem(paths)
    if found is None:
        return None
    if found[0] == "wrong-namespace":
        how = "is this the right share, and the right shared_storage.namespace?"
    else:
        how = "add --bootstrap-dest to write it, or --no-delete to copy only;"
    return f"{found[1]}: delete-sync refused ({how} ytm-doctor explain YTM201)"


# -- one mirror pass and its log -------------------------------------------------------------


@dataclass
class MirrorOutcome:
    run: bool
    delete: bool
    status: str  # ok, partial, failed, refused, interrupted
    record: dict[str, Any]
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "partial-vanished")

    @property
    def returncode(self) -> int | None:
        return self.record.get("returncode")


def _base_record(paths: Paths, *, run: bool, delete: bool, started: datetime) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "run": run,
        "status": None,
        "ok": False,
        "returncode": None,
        "result": {"returncode": None, "meaning": None},
        "started_at": iso_seconds(started),
        "finished_at": None,
        "duration_sec": None,
        "host": host_name(),
        "user": current_user(),
        "src": "workspace:.",
        "dest": "vault:.",
        "delete": delete,
    }


def _portable_argv(argv: list[str], paths: Paths, link_rules: list[str]) -> list[str]:
    """argv with the two roots named, not spelled: recorded paths never go through the share
    mount (SPEC §3), and the same log reads right on every host. The excludes of Hot's links
    are one entry: their paths are in the log's `links`, and a log every ten minutes need not
    repeat hundreds of them per pass."""
    src = os.fspath(paths.workspace_root).rstrip(os.sep) + os.sep
    dest = os.fspath(paths.vault_workspaces_root).rstrip(os.sep) + os.sep
    names = {src: "$WORKSPACE_ROOT/", dest: "$VAULT_WORKSPACES_ROOT/"}
    share = os.fspath(paths.share_root).rstrip(os.sep) + os.sep
    backup = "--backup-dir=" + share
    drop = {f"--filter={rule}" for rule in link_rules}
    out: list[str] = []
    for a in argv:
        if a in drop:
            if a == f"--filter={link_rules[0]}":
                n = len(link_rules)
                out.append(f"--filter=({n} links: each of links.portable and links.loops)")
            continue
        out.append(
            "--backup-dir=$SHARE_ROOT/" + a[len(backup) :]
            if a.startswith(backup)
            else names.get(a, a)
        )
    return out


def write_log(paths: Paths, record: dict[str, Any], started: datetime) -> Path | None:
    """logs/ops/workspaces_mirror/workspaces_mirror__<stamp>.json, created atomically and never
    over an earlier run's (a second run in the same second gets `_2`)."""
    folder = paths.workspace_root / LOG_DIR
    stamp = file_stamp(started)
    data = dumps_json(record, indent=2) + "\n"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(1, 100):
            name = f"{LOG_PREFIX}{stamp}{'' if n == 1 else f'_{n}'}.json"
            try:
                create_atomic(folder / name, data)
                return folder / name
            except FileExistsError:
                continue
    except OSError as exc:
        print(
            f"ytm-doctor: warning: cannot write the mirror log in {folder}: {exc}", file=sys.stderr
        )
    return None


def refusal_log(paths: Paths, reason: str, *, delete: bool, started: datetime) -> Path | None:
    """A --run that was refused is a failed run for YTM703: say why in its log."""
    record = _base_record(paths, run=True, delete=delete, started=started)
    finished = utc_now()
    record.update(
        status="refused",
        refused=reason,
        finished_at=iso_seconds(finished),
        duration_sec=round((finished - started).total_seconds(), 3),
    )
    return write_log(paths, record, started)


def mirror_once(
    paths: Paths,
    settings: MirrorSettings,
    rsync: Rsync,
    *,
    delete: bool,
    dry_run: bool,
    portable: Portable,
    lock: Lock | None = None,
    run_id: str | None = None,
    backup_dir: str | None = None,
) -> MirrorOutcome:
    """One mirror (its rsync run, then Hot's links into the share; dry or real),
    summarised and logged. With `backup_dir`, every Vault file it deletes or overwrites is
    moved there instead. `portable` maps a link's place and target to its share-relative
    form (Context.portable_link)."""
    started = utc_now()
    how = {"delete": delete, "dry_run": dry_run, "backup_dir": backup_dir}
    plan = _plan(paths, settings, rsync, portable, **how)
    record = _base_record(paths, run=not dry_run, delete=delete, started=started)
    record.update(run_id=run_id, **_settings_record(settings, rsync, plan.argv))
    if backup_dir is not None:
        share = os.fspath(paths.share_root)
        record["backup_dir"] = "$SHARE_ROOT/" + os.path.relpath(backup_dir, share)
    record.update(_plan_record(paths, plan))
    status, returncode, done, links = "interrupted", None, None, Changes()
    try:
        with sigterm_interrupts():
            done = run_rsync(plan.argv, on_start=lock.record_child if lock else None)
    except OSError as exc:
        status = "failed"
        record["error"] = f"cannot run {plan.argv[0]}: {exc.strerror or exc}"
    else:
        returncode = done.returncode
        status = _status(returncode)
        if status != "failed":
            status, links = _links_after(plan.links, paths, record, status, dry_run, backup_dir)
    finally:
        _finish_record(record, started, status, returncode, done, links)
        if lock is not None and lock.lost.is_set():
            record["lock_lost"] = True
        log = write_log(paths, record, started)
    return MirrorOutcome(run=not dry_run, delete=delete, status=status, record=record, log=log)


@dataclass
class _Plan:
    """What one mirror will do: video/input's rules, Hot's links, rsync's command line."""

    input_plan: InputPlan
    links: LinkPlan
    argv: list[str]
    standins: list[str]  # stand-ins never sent (ytm_doctor.standins)


def _plan(
    paths: Paths,
    settings: MirrorSettings,
    rsync: Rsync,
    portable: Portable,
    *,
    delete: bool,
    dry_run: bool,
    backup_dir: str | None,
) -> _Plan:
    ws = os.fspath(paths.workspace_root)
    vault = os.fspath(paths.vault_workspaces_root)
    input_plan = plan_input(ws, vault)
    skip = walk_skips(settings.exclude, input_plan)
    cache = os.path.join(paths.report_dir, CACHE_NAME)
    share = os.fspath(paths.share_root)
    links = plan_links(ws, vault, share, portable, skip, cache=cache, save=not dry_run)
    standins = sorted(current_standins(ws, os.fspath(paths.report_dir)))
    rules = plan_rules(
        settings, input_plan, delete=delete, link_rules=links.rules, standins=standins
    )
    how = {"dry_run": dry_run, "backup_dir": backup_dir}
    argv = rsync_argv(rsync, settings, rules, ws, vault, delete=delete, **how)
    return _Plan(input_plan, links, argv, standins)


def _plan_record(paths: Paths, plan: _Plan) -> dict:
    """What the run log says about the plan: video/input, Hot's links, rsync's argv."""
    input_plan, rules = plan.input_plan, plan.links.rules
    return {
        "video_input": {
            "synced": input_plan.synced,
            "links_kept": input_plan.links_kept[:200],
            "links_kept_total": len(input_plan.links_kept),
            "skipped": input_plan.skipped,
        },
        "links": plan.links.record(),
        "stand_ins_not_sent": plan.standins[:200],
        "argv": _portable_argv(plan.argv, paths, rules),
    }


def _links_after(
    links: LinkPlan,
    paths: Paths,
    record: dict[str, Any],
    status: str,
    dry_run: bool,
    backup_dir: str | None,
) -> tuple[str, Changes]:
    """After rsync: write the Vault's links into the share (a dry-run counts them).
    A link that could not be written makes the run partial, with the reason in the log."""
    if dry_run:
        return status, links.changes()
    vault = os.fspath(paths.vault_workspaces_root)
    changes, problems = write_links(links, vault, backup_dir)
    if problems:
        record["links"]["problems"] = problems[:MAX_MESSAGES]
        record.setdefault(
            "error", f"{len(problems)} links into the share not written on the Vault: {problems[0]}"
        )
        status = "partial" if status in ("ok", "partial-vanished") else status
    return status, changes


def _settings_record(settings: MirrorSettings, rsync: Rsync, argv: list[str]) -> dict[str, Any]:
    return {
        "rsync": {"bin": rsync.path, "version": rsync.version},
        "nice": settings.nice if argv[0] != rsync.path else None,
        "timeout_sec": settings.timeout_sec or None,
        "bwlimit_kbps": settings.bwlimit_kbps or None,
        "whole_file": settings.whole_file,
        "protected": [f"{p}/" for p in settings.protected] + [SENTINEL_NAME],
        "excluded": [f"{p}/" for p in settings.exclude],
    }


def _finish_record(
    record: dict[str, Any],
    started: datetime,
    status: str,
    returncode: int | None,
    done: RsyncRun | None,
    links: Changes,
) -> None:
    """The run's end, result and what rsync changed and said, with the Vault links the
    mirror wrote itself counted among the creates and updates."""
    finished = utc_now()
    record.update(finished_at=iso_seconds(finished), status=status)
    record["duration_sec"] = round((finished - started).total_seconds(), 3)
    changes, messages = Changes(), done.messages if done else []
    changes.absorb(links)
    if done is not None:
        changes.absorb(done.changes)
    meaning = None if returncode is None else RSYNC_EXIT.get(returncode or 0, "success")
    record.update(
        ok=status in ("ok", "partial-vanished"),
        returncode=returncode,
        result={"returncode": returncode, "meaning": meaning},
        counts=changes.counts(),
        samples=changes.samples,
        stderr=messages[:MAX_MESSAGES],
        stderr_lines=done.messages_total if done else 0,
        rsync_seconds=round(done.duration, 3) if done else 0.0,
    )


def _status(returncode: int | None) -> str:
    if returncode == 0:
        return "ok"
    if returncode == 24:
        return "partial-vanished"
    if returncode == 23:
        return "partial"
    return "failed"


def workspace_rel(path: Path, paths: Paths) -> str:
    return os.path.relpath(path, paths.workspace_root).replace(os.sep, "/")


def mirror_lock(paths: Paths, command: str, config: Config) -> Lock:
    return Lock(
        lock_path(paths.report_dir, LOCK_NAME),
        LOCK_NAME,
        command=command[:200],
        stale_after=float(config["locks.stale_after_sec"]),
    )
