"""bootstrap-sentinel (YTM201): write the Vault sentinel that delete-sync mirrors require.

A missing sentinel is created; an unreadable or foreign one is replaced, its old bytes kept in
the run's backups so undo restores it. The plan itself is the engine's (the mirror's
`--bootstrap-dest` writes the same one).
"""

from __future__ import annotations

from ytm_doctor.fix.fixer import Fixer, fix_for
from ytm_doctor.mirror.prepare import sentinel_actions
from ytm_doctor.plugins.hookspec import hookimpl


class BootstrapSentinel(Fixer):
    name = "bootstrap-sentinel"
    summary = "write <vault>/.ytm_vault_workspaces_root.json for this namespace"

    def plan(self, findings, fx):
        for finding in findings[:1]:  # one sentinel, however many findings name it
            actions = sentinel_actions(fx)
            title = f"{actions[-1].op} the Vault sentinel"
            fix = fix_for(finding, self.name, title, actions)
            fix.fingerprints = [f.fingerprint for f in findings]
            yield fix


@hookimpl
def ytm_doctor_collect_fixers():
    return [BootstrapSentinel()]
