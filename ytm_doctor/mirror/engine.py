"""The Hot → Vault mirror (SPEC §6.3, seeds 001 Step C and 002), driving the real rsync.

`ytm-doctor mirror` copies `<workspace_root>/` to `<vault_workspaces_root>/`:

- delete-sync by default (`--delete-after`: nothing is deleted before everything was sent;
  `--no-delete`: copy only), refused without a valid Vault sentinel (YTM201's condition);
- the sentinel is neither sent nor deleted; `mirror.exclude` (planning/: the SoT lives on the
  Vault) is neither sent nor deleted;
- `mirror.protected` (scripts/, thumbnails/assets/, video/runs/) is sent but never deleted on
  the Vault. With delete-sync that is two rsync passes: the deleting one excludes them, a
  second one sends only them and deletes nothing. (In one pass it would take `P /x` and
  `P /x/***` — a bare `P /x/` protects the directory, not the files in it — and rsync would
  list every file under video/runs on the Vault only to find it protected.);
- video/input: Hot's real dirs and files one and two levels down are sent, and inside them the
  mirror is a mirror; Hot's links there are not sent, nothing the Vault has at those two levels
  is deleted (its portable links, what the Lenovo side added), and a Hot dir where the Vault
  has a link is skipped, so no link is replaced or written through (seed 002);
- links that lead outside the workspace (absolute ones, such as a run's capcut_draft pointing
  at the Mac's local draft) are not copied (`--safe-links`): they would dangle on every other
  host, which is how host-specific links got into the Vault before (seed 002, 2026-01-25);
- the live lock files of the report dir are not sent.

A dry-run is `rsync --dry-run --itemize-changes`, summarised as creates, updates and deletes.
Every run, dry or real, writes `logs/ops/workspaces_mirror/workspaces_mirror__<stamp>.json`
(YTM703 reads it). A real run goes through the Executor as an `rsync` action: journaled, audited,
under the `mirror` lock, what it replaces on the Vault kept (ytm_doctor/mirror/backups.py). The
command is ytm_doctor/mirror/command.py; the fixer of YTM703 is fixers/mirror.py.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import create_atomic
from ytm_doctor.clock import file_stamp, iso_seconds, utc_now
from ytm_doctor.errors import UsageError
from ytm_doctor.identity import current_user
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.lock import Lock, lock_path, takeover_record
from ytm_doctor.mirror.filters import plan_input, plan_passes
from ytm_doctor.mirror.rsync import (
    MAX_MESSAGES,
    RSYNC_EXIT,
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
LOG_DIR = "logs/ops/workspaces_mirror"
LOG_PREFIX = "workspaces_mirror__"
LOCK_NAME = "mirror"
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
    missing ytm_workspaces/ is not a reason: it is about to be created."""
    state = share_state(paths, require_mount)
    if not state.mounted:
        what = {"stub": "a stub (README_MOUNTPOINT.txt)", "missing": "missing"}
        return (
            f"the share {paths.share_root} is {what.get(state.status, 'not mounted')}: the "
            "mirror waits for the share to be mounted (ytm-doctor explain YTM101); nothing "
            "was written"
        )
    missing_vault = f"{paths.vault_workspaces_root.name}/ is missing"
    problems = [p for p in state.problems if not (ensure_dirs and p == missing_vault)]
    if problems:
        hint = " or add --ensure-dirs" if missing_vault in problems else ""
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
        "host": socket.gethostname(),
        "user": current_user(),
        "src": "workspace:.",
        "dest": "vault:.",
        "delete": delete,
    }


def _portable_argv(argv: list[str], paths: Paths) -> list[str]:
    """argv with the two roots named, not spelled: recorded paths never go through the share
    mount (SPEC §3), and the same log reads right on every host."""
    src = os.fspath(paths.workspace_root).rstrip(os.sep) + os.sep
    dest = os.fspath(paths.vault_workspaces_root).rstrip(os.sep) + os.sep
    names = {src: "$WORKSPACE_ROOT/", dest: "$VAULT_WORKSPACES_ROOT/"}
    share = os.fspath(paths.share_root).rstrip(os.sep) + os.sep
    backup = "--backup-dir=" + share
    return [
        "--backup-dir=$SHARE_ROOT/" + a[len(backup) :] if a.startswith(backup) else names.get(a, a)
        for a in argv
    ]


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
    lock: Lock | None = None,
    run_id: str | None = None,
    backup_dir: str | None = None,
) -> MirrorOutcome:
    """One mirror (its rsync passes, dry or real), summarised and logged. With `backup_dir`,
    every Vault file it deletes or overwrites is moved there instead."""
    started = utc_now()
    ws = os.fspath(paths.workspace_root)
    vault = os.fspath(paths.vault_workspaces_root)
    input_plan = plan_input(ws, vault)
    standins = sorted(current_standins(ws, os.fspath(paths.report_dir)))
    passes = plan_passes(settings, input_plan, delete=delete, standins=standins)
    how = {"dry_run": dry_run, "backup_dir": backup_dir}
    argvs = [
        rsync_argv(rsync, settings, one.rules, ws, vault, delete=one.delete, **how)
        for one in passes
    ]
    record = _base_record(paths, run=not dry_run, delete=delete, started=started)
    record.update(run_id=run_id, **_settings_record(settings, rsync, argvs[0]))
    if backup_dir is not None:
        share = os.fspath(paths.share_root)
        record["backup_dir"] = "$SHARE_ROOT/" + os.path.relpath(backup_dir, share)
    record.update(_plan_record(paths, input_plan, passes, argvs))
    record["stand_ins_not_sent"] = standins[:200]
    status, returncode, done = "interrupted", None, []
    try:
        with sigterm_interrupts():
            for argv, info in zip(argvs, record["passes"], strict=True):
                result = run_rsync(argv, on_start=lock.record_child if lock else None)
                info.update(returncode=result.returncode, seconds=round(result.duration, 3))
                done.append(result)
                if result.returncode not in (0, 23, 24):
                    break  # rsync cannot work (timeout, Vault gone): no second pass to wait for
    except OSError as exc:
        status = "failed"
        record["error"] = f"cannot run {argvs[0][0]}: {exc.strerror or exc}"
    else:
        returncode = next((r.returncode for r in done if r.returncode != 0), 0)
        status = _status(returncode)
    finally:
        _finish_record(record, started, status, returncode, done)
        if lock is not None and lock.lost.is_set():
            record["lock_lost"] = True
        log = write_log(paths, record, started)
    return MirrorOutcome(run=not dry_run, delete=delete, status=status, record=record, log=log)


def _plan_record(paths: Paths, input_plan: Any, passes: list[Any], argvs: list[list[str]]) -> dict:
    """What the run log says about the plan: video/input, the argv of each pass."""
    return {
        "video_input": {
            "synced": input_plan.synced,
            "links_kept": input_plan.links_kept[:200],
            "links_kept_total": len(input_plan.links_kept),
            "skipped": input_plan.skipped,
        },
        "argv": _portable_argv(argvs[0], paths),
        "passes": [
            {"name": one.name, "delete": one.delete, "argv": _portable_argv(argv, paths)}
            for one, argv in zip(passes, argvs, strict=True)
        ],
    }


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
    done: list[RsyncRun],
) -> None:
    """The run's end, result and what rsync changed and said, summed over its passes."""
    finished = utc_now()
    record.update(finished_at=iso_seconds(finished), status=status)
    record["duration_sec"] = round((finished - started).total_seconds(), 3)
    changes, messages = Changes(), []
    for result in done:
        changes.absorb(result.changes)
        messages += result.messages
    meaning = None if returncode is None else RSYNC_EXIT.get(returncode or 0, "success")
    record.update(
        ok=status in ("ok", "partial-vanished"),
        returncode=returncode,
        result={"returncode": returncode, "meaning": meaning},
        counts=changes.counts(),
        samples=changes.samples,
        stderr=messages[:MAX_MESSAGES],
        stderr_lines=sum(r.messages_total for r in done),
        rsync_seconds=round(sum(r.duration for r in done), 3),
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


def audit_takeover(paths: Paths, lock: Lock) -> None:
    if lock.took_over is None:
        return
    from ytm_doctor.fix.journal import audit

    print(
        f"ytm-doctor: took over a stale mirror lock from {lock.took_over.describe()}",
        file=sys.stderr,
    )
    with contextlib.suppress(OSError):  # the audit line must not stop the mirror
        audit(paths.report_dir, takeover_record(lock, "mirror"))
