"""rsync(path = the Vault's workspaces dir; options {"delete": bool}): the Hot -> Vault mirror as
one plan action, registered as the built-in plugin `mirror_ops`.

Every setting (binary, nice, timeout, filters) is read from the configuration when the action
runs, never from the plan (a plan carries no command line). The share, the sentinel and the
mirror lock are checked again right before rsync starts. It cannot be undone: the journal
records why, and undo refuses it.
"""

from __future__ import annotations

from typing import Any

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.operation import Operation, Refused
from ytm_doctor.fix.plan import Action, Fix, PathRef
from ytm_doctor.lock import LockBusy
from ytm_doctor.mirror.engine import (
    LOCK_NAME,
    MirrorSettings,
    audit_takeover,
    delete_refusal,
    mirror_lock,
    mirror_once,
    share_refusal,
    workspace_rel,
)
from ytm_doctor.mirror.rsync import RSYNC_EXIT, find_rsync
from ytm_doctor.plugins.hookspec import hookimpl

RSYNC_IRREVERSIBLE = (
    "a mirror (rsync) cannot be undone: it copied Hot's files over the Vault's and deleted on "
    "the Vault what Hot no longer has, keeping no copy. The protected subtrees (mirror.protected:"
    " scripts/, thumbnails/assets/, video/runs/), the sentinel and mirror.exclude (planning/) "
    "were never deleted; anything else must be restored by hand from Hot or a backup"
)


class Rsync(Operation):
    name = "rsync"
    irreversible = RSYNC_IRREVERSIBLE

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
        return {"op": "irreversible", "path": action.path.to_json(), "why": RSYNC_IRREVERSIBLE}

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        return [str(inverse.get("why") or RSYNC_IRREVERSIBLE)]

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
        lock = ex.held_locks.get(LOCK_NAME)
        own = None
        if lock is None:
            own = mirror_lock(paths, "ytm-doctor fix (mirror)", config)
            try:
                own.acquire()
            except LockBusy as exc:
                raise Refused(f"another mirror is running: {exc.info.describe()}") from None
            audit_takeover(paths, own)
            lock = own
        try:
            outcome = mirror_once(
                paths, settings, rsync, delete=delete, dry_run=False, lock=lock, run_id=ex.run_id
            )
        finally:
            if own is not None:
                own.release()
        ex.outcomes.append(outcome)
        log = workspace_rel(outcome.log, paths) if outcome.log else None
        if not outcome.ok:
            rc = outcome.returncode
            first = next((m for m in outcome.record.get("stderr", []) if m), "")
            what = outcome.record.get("error") or f"rsync exited {rc} ({RSYNC_EXIT.get(rc, '?')})"
            raise Refused(what + (f": {first}" if first else "") + (f"; log {log}" if log else ""))
        return {"returncode": outcome.returncode, "counts": outcome.record["counts"], "log": log}


def rsync_action(vault_name: str, *, delete: bool) -> Action:
    """The mirror as one plan action (`vault_name`: ytm_workspaces, relative to the share)."""
    how = "delete-sync" if delete else "copy only"
    return Action(
        "rsync",
        PathRef("share", vault_name),
        options={"delete": delete},
        note=f"workspace -> Vault, {how}; cannot be undone",
    )


def rsync_fix(vault_name: str, *, delete: bool, rule: str = "YTM703") -> Fix:
    how = "delete-sync" if delete else "copy only"
    return Fix(
        fixer="mirror",
        rule=rule,
        title=f"mirror the Hot workspace to the Vault ({how})",
        actions=[rsync_action(vault_name, delete=delete)],
    )


@hookimpl
def ytm_doctor_collect_operations() -> list[Operation]:
    return [Rsync()]
