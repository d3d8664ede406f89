"""rsync(path = the Vault's workspaces dir; options {"delete": bool}): the Hot -> Vault mirror as
one plan action, registered as the built-in plugin `mirror_ops`.

Every setting (binary, nice, timeout, filters) is read from the configuration when the action
runs, never from the plan (a plan carries no command line). The share, the sentinel and the
mirror lock are checked again right before rsync starts. Every file the run deletes or
overwrites on the Vault is kept in `<share>/ytm_mirror_backups/<run_id>/` (rsync --backup-dir),
so undo moves them back; the files it created are copies of Hot's and stay.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.journal import audit_takeover
from ytm_doctor.fix.operation import Operation, Refused
from ytm_doctor.fix.plan import Action, Fix, PathRef
from ytm_doctor.lock import LockBusy
from ytm_doctor.mirror.backups import backup_rel, prune_backups, restore_backup
from ytm_doctor.mirror.engine import (
    LOCK_NAME,
    MirrorSettings,
    delete_refusal,
    mirror_lock,
    mirror_once,
    share_refusal,
    workspace_rel,
)
from ytm_doctor.mirror.names import RSYNC_EXIT
from ytm_doctor.mirror.rsync import find_rsync

KEPT = (
    "undo puts back every Vault file this mirror deleted or overwrote (kept in {backup}); what "
    "stands in their place now is kept beside them; files the mirror created stay"
)


class Rsync(Operation):
    name = "rsync"

    def validate(self, action: Action) -> None:
        super().validate(action)
        options = action.options or {}
        unknown = set(options) - {"delete"}
        if unknown or not isinstance(options.get("delete", True), bool):
            raise UsageError(f"plan action rsync has unknown options {sorted(unknown) or options}")

    def describe(self, action: Action) -> str:
        how = "delete-sync" if (action.options or {}).get("delete", True) else "copy only"
        return f"rsync    workspace:. -> {action.path} ({how}; preview: ytm-doctor mirror)"

    def inverse(self, action, path, ex) -> dict[str, Any]:
        backup = PathRef("share", backup_rel(ex.run_id or "dry-run"))
        return {"op": "unmirror", "path": action.path.to_json(), "backup": backup.to_json()}

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        if inverse.get("op") == "irreversible":  # journaled before mirror runs kept anything
            return [str(inverse.get("why") or "this mirror run kept nothing; cannot be undone")]
        try:
            ex.confine(PathRef.from_json(inverse["backup"]))
        except Refused as exc:
            return [str(exc)]
        return []

    def undo(self, inverse, path, ex) -> None:
        backup = ex.confine(PathRef.from_json(inverse["backup"]))
        if not os.path.isdir(backup):
            return  # the run replaced nothing on the Vault
        aside = ex.confine(PathRef("share", backup_rel(ex.run_id or "undo")))
        with _mirror_lock(ex, "ytm-doctor undo (mirror)"):
            done = restore_backup(backup, path, aside)
        if done.problems:
            raise Refused(f"{done.restored} put back; " + "; ".join(done.problems[:5]))

    def describe_inverse(self, inverse: dict[str, Any]) -> str:
        backup = PathRef.from_json(inverse.get("backup") or inverse["path"])
        return f"unmirror {PathRef.from_json(inverse['path'])} (from {backup})"

    def do(self, action, path, inverse, ex) -> dict[str, Any]:
        """Every guard again, under the mirror lock, then one real pass. Returns what the
        journal records; raises Refused when it must not run or did not complete."""
        try:
            self.validate(action)
        except UsageError as exc:
            raise Refused(str(exc)) from None
        delete = (action.options or {}).get("delete", True)
        config, paths = ex.ctx.config, ex.ctx.paths
        settings = MirrorSettings.from_config(config)
        try:
            rsync = find_rsync(settings)
        except UsageError as exc:
            raise Refused(str(exc)) from None
        reason = share_refusal(paths, config["shared_storage.require_mount"])
        if reason is None and delete:
            reason = delete_refusal(paths)
        if reason:
            raise Refused(reason)
        backup = ex.confine(PathRef.from_json(inverse["backup"]))
        keep_days = int(config["mirror.backup_keep_days"] or 0)
        with _mirror_lock(ex, "ytm-doctor fix (mirror)") as lock:
            pruned = prune_backups(os.fspath(paths.share_root), keep_days)
            outcome = mirror_once(
                paths,
                settings,
                rsync,
                delete=delete,
                dry_run=False,
                lock=lock,
                run_id=ex.run_id,
                backup_dir=backup,
                portable=ex.ctx.portable_link,
            )
        ex.outcomes.append(outcome)
        log = workspace_rel(outcome.log, paths) if outcome.log else None
        if not outcome.ok:
            rc = outcome.returncode
            first = next((m for m in outcome.record.get("stderr", []) if m), "")
            what = outcome.record.get("error") or f"rsync exited {rc} ({RSYNC_EXIT.get(rc, '?')})"
            raise Refused(what + (f": {first}" if first else "") + (f"; log {log}" if log else ""))
        done = {"returncode": outcome.returncode, "counts": outcome.record["counts"], "log": log}
        return {**done, "backups_pruned": pruned} if pruned else done


@contextlib.contextmanager
def _mirror_lock(ex, command: str) -> Iterator[Any]:
    """The mirror lock: the one this run holds already, else taken for this action."""
    lock = ex.held_locks.get(LOCK_NAME)
    if lock is not None:
        yield lock
        return
    config, paths = ex.ctx.config, ex.ctx.paths
    own = mirror_lock(paths, command, config)
    try:
        own.acquire()
    except LockBusy as exc:
        raise Refused(f"another mirror is running: {exc.info.describe()}") from None
    audit_takeover(paths.report_dir, own, "mirror")
    try:
        yield own
    finally:
        own.release()


def rsync_action(vault_name: str, *, delete: bool) -> Action:
    """The mirror as one plan action (`vault_name`: ytm_workspaces, relative to the share)."""
    how = "delete-sync" if delete else "copy only"
    return Action(
        "rsync",
        PathRef("share", vault_name),
        options={"delete": delete},
        note=f"workspace -> Vault, {how}; what it replaces is kept",
    )


def rsync_fix(vault_name: str, *, delete: bool, rule: str = "YTM703") -> Fix:
    how = "delete-sync" if delete else "copy only"
    return Fix(
        fixer="mirror",
        rule=rule,
        title=f"mirror the Hot workspace to the Vault ({how})",
        actions=[rsync_action(vault_name, delete=delete)],
    )
