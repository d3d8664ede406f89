"""bootstrap-sentinel (YTM201): write the Vault sentinel that delete-sync mirrors require.

A missing sentinel is created; an unreadable or foreign one is replaced, its old bytes kept in
the run's backups so undo restores it.
"""

from __future__ import annotations

import json
import socket
from datetime import datetime, timezone

from ytm_doctor.fixer import Fixer, fix_for
from ytm_doctor.paths import SENTINEL_NAME
from ytm_doctor.plan import Action, PathRef
from ytm_doctor.plugins.hookspec import hookimpl

SENTINEL_SCHEMA = "ytm.vault_workspaces_root.v1"


def sentinel_bytes(namespace: str) -> bytes:
    body = {
        "schema": SENTINEL_SCHEMA,
        "namespace": namespace,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "created_by": "ytm-doctor bootstrap-sentinel",
    }
    return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


class BootstrapSentinel(Fixer):
    name = "bootstrap-sentinel"
    summary = "write <vault>/.ytm_vault_workspaces_root.json for this namespace"

    def plan(self, findings, fx):
        ref = PathRef("vault", SENTINEL_NAME)
        for finding in findings[:1]:  # one sentinel, however many findings name it
            kind = fx.state(ref)["kind"]
            data = sentinel_bytes(fx.ctx.paths.namespace)
            note = "namespace " + fx.ctx.paths.namespace
            if kind == "file":
                actions = [Action("replace", ref, data=data, note=note)]
            elif kind == "missing":
                actions = [Action("write", ref, data=data, note=note)]
            else:  # a link or a directory in its place: renamed aside, never removed
                aside = ref.sibling(fx.backup_name(ref.name))
                actions = [
                    Action("rename", ref, dest=aside, note=f"a {kind} was in the way"),
                    Action("write", ref, data=data, note=note),
                ]
            title = f"{actions[-1].op} the Vault sentinel"
            fix = fix_for(finding, self.name, title, actions)
            fix.fingerprints = [f.fingerprint for f in findings]
            yield fix


@hookimpl
def ytm_doctor_collect_fixers():
    return [BootstrapSentinel()]
