"""What a mirror may need first on a fresh Vault: the sentinel (`--bootstrap-dest`) and the
directories every tool expects (`--ensure-dirs`). Plan builders in the engine, shared by the
mirror command and the bootstrap-sentinel and ensure-vault-dirs fixers."""

from __future__ import annotations

import json
import os
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ytm_doctor.clock import iso_seconds, utc_now
from ytm_doctor.errors import UsageError
from ytm_doctor.fix.plan import Action, Fix, PathRef
from ytm_doctor.identity import host_name
from ytm_doctor.paths import SENTINEL_NAME

if TYPE_CHECKING:
    from ytm_doctor.fix.fixer import FixContext

SENTINEL_SCHEMA = "ytm.vault_workspaces_root.v1"
SENTINEL_RULE = "YTM201"
DIRS_RULE = "YTM203"


def sentinel_bytes(namespace: str) -> bytes:
    body = {
        "schema": SENTINEL_SCHEMA,
        "namespace": namespace,
        "created_at": iso_seconds(utc_now()),
        "host": host_name(),
        "created_by": "ytm-doctor bootstrap-sentinel",
    }
    return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sentinel_actions(fx: FixContext) -> list[Action]:
    """Write this namespace's sentinel: create it, replace a file (old bytes kept in the run's
    backups), or rename a link or dir in its way aside first (never removed)."""
    ref = PathRef("vault", SENTINEL_NAME)
    kind = fx.state(ref)["kind"]
    data = sentinel_bytes(fx.ctx.paths.namespace)
    note = "namespace " + fx.ctx.paths.namespace
    if kind == "file":
        return [Action("replace", ref, data=data, note=note)]
    if kind == "missing":
        return [Action("write", ref, data=data, note=note)]
    aside = ref.sibling(fx.backup_name(ref.name))
    return [
        Action("rename", ref, dest=aside, note=f"a {kind} was in the way"),
        Action("write", ref, data=data, note=note),
    ]


def mkdir_actions(fx: FixContext, refs: list[PathRef]) -> list[Action]:
    """mkdir every missing level of each ref, one level at a time (so undo removes exactly what
    was created, and only while still empty)."""
    actions: list[Action] = []
    for target in refs:
        parts = PurePosixPath(target.rel).parts
        for depth in range(1, len(parts) + 1):
            ref = PathRef(target.root, "/".join(parts[:depth]))
            if fx.state(ref)["kind"] == "missing" and all(a.path != ref for a in actions):
                actions.append(Action("mkdir", ref))
    return actions


def ensure_dirs_fix(fx: FixContext, *, store_base: bool = False) -> Fix | None:
    """`mirror --ensure-dirs`: ytm_workspaces/ and vault.required_dirs on the share, and with
    `store_base` the shared store's uploads/<namespace>/ too (a fresh Vault has none of them;
    without it the share stays degraded and every store goes to the outbox)."""
    ctx = fx.ctx
    share = ctx.paths.share_root
    wanted = [ctx.paths.vault_workspaces_root.name, *ctx.config["vault.required_dirs"]]
    if store_base:
        wanted.append(f"uploads/{ctx.paths.namespace}")
    missing: list[PathRef] = []
    for item in wanted:
        rel = os.path.normpath(item.strip("/")).replace(os.sep, "/")
        if rel in (".", "") or rel.startswith(".."):
            continue
        full = share / rel
        if os.path.lexists(full):
            if not full.is_dir():
                raise UsageError(
                    f"mirror --ensure-dirs: {full} exists and is not a directory; move it aside"
                )
            continue
        missing.append(PathRef("share", rel))
    actions = mkdir_actions(fx, missing)
    if not actions:
        return None
    names = ", ".join(ref.rel for ref in missing)
    return Fix("ensure-vault-dirs", DIRS_RULE, f"create {names}", actions)


def sentinel_fix(fx: FixContext, problem: str, what: str) -> Fix:
    """`mirror --bootstrap-dest`: the sentinel, never over another namespace's."""
    if problem == "wrong-namespace":
        # Another factory's Vault: writing over its sentinel would mirror into its tree.
        raise UsageError(
            f"mirror --bootstrap-dest: {what}; it belongs to another namespace, which "
            "--bootstrap-dest never overwrites (ytm-doctor explain YTM201)"
        )
    actions = sentinel_actions(fx)
    return Fix("bootstrap-sentinel", SENTINEL_RULE, f"{actions[-1].op} the Vault sentinel", actions)
