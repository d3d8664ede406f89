"""`ytm-doctor mirror [--run] [--no-delete] [--bootstrap-dest] [--ensure-dirs] [--json]`.

The command around the mirror engine (ytm_doctor/mirror.py): refuse early and in one line
(exit 4: no rsync, share offline or degraded, no valid sentinel for delete-sync), preview by
default, and for --run take the mirror lock, then apply through the Executor, journaled and
audited: the sentinel (--bootstrap-dest) and the Vault dirs (--ensure-dirs) first, through the
bootstrap-sentinel and ensure-vault-dirs fixers, then the `rsync` action.

Exit codes: 0 mirrored (or previewed), also when another mirror already holds the lock (a timer
firing twice is not an error: the line says who holds it, --json says "busy"), and with
--if-share-up (the scheduled job) while the share is down: one line, nothing written; 1 rsync failed
or a preparation failed (the run log says why); 2 interrupted; 4 refused before anything ran.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from typing import TYPE_CHECKING

from ytm_doctor.clock import file_stamp, utc_now
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.fix.fixer import FixContext
from ytm_doctor.fix.journal import audit_takeover
from ytm_doctor.fix.operation import operations_for
from ytm_doctor.fix.run import RunOutcome, run_plan
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.lock import Lock, LockBusy
from ytm_doctor.mirror.engine import (
    LOCK_NAME,
    MirrorOutcome,
    MirrorSettings,
    delete_refusal,
    mirror_lock,
    mirror_once,
    refusal_log,
    sentinel_problem,
    share_refusal,
    workspace_rel,
)
from ytm_doctor.mirror.names import RSYNC_EXIT
from ytm_doctor.mirror.operation import rsync_fix
from ytm_doctor.mirror.prepare import ensure_dirs_fix, sentinel_fix
from ytm_doctor.mirror.rsync import find_rsync
from ytm_doctor.model import printable
from ytm_doctor.mount import share_state
from ytm_doctor.workspace import INPUT_DIR

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.context import Context
    from ytm_doctor.fix.plan import Fix
    from ytm_doctor.paths import Paths


def _preparations(ctx: Context, *, ensure: bool, bootstrap: bool) -> list[Fix]:
    """The fixes `--ensure-dirs` and `--bootstrap-dest` add before the rsync (the same plans
    as the ensure-vault-dirs and bootstrap-sentinel fixers)."""
    fixes: list[Fix] = []
    fx = FixContext(ctx=ctx, stamp=file_stamp(utc_now()))
    if ensure:
        fix = ensure_dirs_fix(fx, store_base=True)
        fixes += [fix] if fix else []
    found = sentinel_problem(ctx.paths) if bootstrap else None
    if found is not None:
        fixes.append(sentinel_fix(fx, *found))
    return fixes


def mirror_command(config: Config, argv: list[str]) -> int:
    from ytm_doctor.context import Context

    started = utc_now()
    run = bool(config.getoption("run"))
    delete = not config.getoption("no_delete")
    ensure = bool(config.getoption("ensure_dirs"))
    bootstrap = bool(config.getoption("bootstrap_dest"))
    as_json = bool(config.getoption("json"))
    paths = config.paths
    if config.getoption("if_share_up") and _share_down(config, as_json):
        return ExitCode.OK
    try:
        settings = MirrorSettings.from_config(config)
        rsync = find_rsync(settings)
        reason = share_refusal(paths, config["shared_storage.require_mount"], ensure_dirs=ensure)
        if reason is None and delete and not bootstrap:
            reason = delete_refusal(paths)
        if reason:
            raise UsageError(f"mirror: {reason}")
        ctx = Context(config)
        fixes = _preparations(ctx, ensure=ensure, bootstrap=bootstrap)
    except UsageError as exc:
        if run:
            refusal_log(paths, str(exc).removeprefix("mirror: "), delete=delete, started=started)
        raise
    if not run:
        return _dry_run(
            ctx, settings, rsync, fixes, operations_for(config), delete=delete, as_json=as_json
        )

    command = shlex.join(["ytm-doctor", *argv])
    lock = mirror_lock(paths, command, config)
    try:
        lock.acquire()
    except LockBusy as exc:
        _say_busy(lock, exc.info, as_json)
        return ExitCode.OK
    except OSError as exc:
        raise UsageError(f"mirror: cannot take the lock {lock.path}: {exc}") from None
    fixes.append(rsync_fix(paths.vault_workspaces_root.name, delete=delete))
    try:
        audit_takeover(paths.report_dir, lock, "mirror")
        return _real_run(ctx, lock, fixes, argv, as_json)
    finally:
        lock.release()


def _share_down(config: Config, as_json: bool) -> bool:
    """A timer firing while the share is down has nothing to do: no refusal, no run log (a
    log would read as a failed mirror). A degraded share is still refused: that needs a person."""
    state = share_state(config.paths, config["shared_storage.require_mount"])
    if state.mounted:
        return False
    line = f"mirror: the share {config.paths.share_root} is down ({state.status}): nothing to do"
    print(json.dumps({"status": "share-down"}) if as_json else printable(line))
    return True


def _say_busy(lock: Lock, holder, as_json: bool) -> None:
    # Exit 0: "a mirror is already running" is what a timer firing twice should hear, not an
    # error; scripts tell it apart by this line or by --json's status.
    line = f"mirror: another mirror holds {lock.path}: {holder.describe()}; nothing done"
    if as_json:
        print(json.dumps({"status": "busy", "holder": holder.to_json(), "lock": str(lock.path)}))
    print(f"ytm-doctor: {line}", file=sys.stderr)


def _line(text: str) -> None:
    """One line for people: file names (rsync's samples, titles, reasons) may hold ESC or a
    newline, shown escaped rather than obeyed by the terminal."""
    print(printable(text))


def _print_run(run: RunOutcome, outcome: MirrorOutcome | None, paths, as_json: bool) -> None:
    results = run.results
    if as_json:
        data = {
            "run_id": run.run_id,
            "journal": os.fspath(run.journal),
            "status": outcome.status if outcome else "not-run",
            "fixes": [
                {"title": r.fix.title, "status": r.status, "reasons": r.reasons} for r in results
            ],
            "log": outcome.record if outcome else None,
        }
        print(dumps_json(data, indent=2))
        return
    for r in results[:-1] if outcome else results:
        _line(f"{r.status:<8} {r.fix.title}")
        for reason in r.reasons:
            _line(f"         {reason}")
    if outcome:
        _print_outcome(outcome, paths)
    _line(
        f"journal: {run.journal} (run {run.run_id}; undo puts back what it replaced: "
        f"ytm-doctor undo {run.run_id} --run)"
    )


def _real_run(ctx: Context, lock: Lock, fixes: list[Fix], argv: list[str], as_json: bool) -> int:
    paths = ctx.paths

    def audit_extra(run: RunOutcome) -> dict:
        outcome = run.outcomes[-1] if run.outcomes else None
        return {
            "returncode": outcome.returncode if outcome else None,
            "log": workspace_rel(outcome.log, paths) if outcome and outcome.log else None,
        }

    try:
        run = run_plan(
            ctx,
            fixes,
            operations_for(ctx.config),
            command="mirror",
            argv=argv,
            held_locks={LOCK_NAME: lock},
            # No rsync into a Vault whose sentinel or dirs could not be made.
            stop_at_first_failure=True,
            audit_extra=audit_extra,
        )
    except UsageError as exc:
        raise UsageError(f"mirror: {exc}") from None
    outcome = run.outcomes[-1] if run.outcomes else None
    _print_run(run, outcome, paths, as_json)
    if outcome and outcome.status == "partial-vanished":
        print(
            "ytm-doctor: warning: mirror: some files vanished on Hot while being sent (rsync 24); "
            "they are mirrored next run",
            file=sys.stderr,
        )
    return ExitCode.OK if run.ok else ExitCode.VIOLATIONS


def _dry_run(
    ctx: Context, settings, rsync, fixes: list[Fix], registry, *, delete: bool, as_json: bool
) -> int:
    paths = ctx.paths
    outcome = mirror_once(
        paths, settings, rsync, delete=delete, dry_run=True, portable=ctx.portable_link
    )
    if as_json:
        data = dict(outcome.record)
        data["would_apply_first"] = [
            {"title": f.title, "actions": [registry.describe(a) for a in f.actions]} for f in fixes
        ]
        print(dumps_json(data, indent=2))
    else:
        for fix in fixes:
            _line(f"would  {fix.title}")
            for action in fix.actions:
                _line(f"         {registry.describe(action)}")
        _print_outcome(outcome, paths)
        if outcome.ok:
            _line("dry-run: nothing was changed. Add --run to mirror.")
    return ExitCode.OK if outcome.ok else ExitCode.VIOLATIONS


def _print_links(links: dict) -> None:
    """Hot's links the mirror handles itself: into the share (portable), loops, left out."""
    parts = []
    share, loops = links["portable_total"], links["loops_total"]
    if share:
        parts.append(f"{share} link{'s' * (share != 1)} into the share mirrored share-relative")
    if loops:
        shown = ", ".join(links["loops"][:5]) + (", ..." if loops > 5 else "")
        parts.append(f"{loops} link loop{'s' * (loops != 1)} not sent: {shown}")
    if links["skipped"]:
        parts.append(
            "not sent: " + ", ".join(f"{s['path']} ({s['why']})" for s in links["skipped"][:5])
        )
    for problem in links.get("problems", [])[:5]:
        parts.append(f"not written: {problem}")
    if parts:
        _line("  links: " + "; ".join(parts))


def _print_outcome(outcome: MirrorOutcome, paths: Paths) -> None:
    rec = outcome.record
    how = "delete-sync" if outcome.delete else "copy only (--no-delete)"
    mode = "mirror" if outcome.run else "mirror (dry-run)"
    _line(f"{mode}: {paths.workspace_root}/ -> {paths.vault_workspaces_root}/ ({how})")
    _line(
        f"  kept on the Vault: {', '.join(rec['protected'])}; not mirrored: "
        f"{', '.join(rec['excluded']) or '-'}"
    )
    vi = rec["video_input"]
    note = f"  {INPUT_DIR}: {vi['synced']} real dirs/files sent"
    if vi["links_kept"]:
        note += f", {len(vi['links_kept'])} links left to the Vault's own"
    if vi["skipped"]:
        note += ", skipped: " + ", ".join(f"{s['path']} ({s['why']})" for s in vi["skipped"])
    _line(note)
    _print_links(rec["links"])
    if outcome.status == "interrupted":
        _line("  interrupted")
        return
    counts = rec["counts"]
    verb = (
        ("would create", "update", "delete")
        if not outcome.run
        else ("created", "updated", "deleted")
    )
    _line(
        f"  {verb[0]} {counts['creates']}, {verb[1]} {counts['updates']}, "
        f"{verb[2]} {counts['deletes']}"
    )
    for kind, label in (("creates", "create"), ("updates", "update"), ("deletes", "delete")):
        shown = rec["samples"][kind]
        for path in shown:
            _line(f"    {label:<7} {path}")
        if counts[kind] > len(shown):
            _line(f"    ... and {counts[kind] - len(shown)} more {kind}")
    rc = rec["returncode"]
    if rc not in (0, None):
        _line(f"  rsync exited {rc}: {RSYNC_EXIT.get(rc, '?')}")
        for line in rec.get("stderr", [])[:10]:
            _line(f"    {line}")
    if outcome.log:
        _line(f"  log: {workspace_rel(outcome.log, paths)}")
