"""ensure-vault-dirs (YTM203): create the Vault directories every tool expects, one level at a
time (so undo removes exactly what was created, and only while still empty)."""

from __future__ import annotations

from ytm_doctor.facts import finding_ref
from ytm_doctor.fix.fixer import Fixer, fix_for
from ytm_doctor.mirror.prepare import mkdir_actions
from ytm_doctor.plugins.hookspec import hookimpl


class EnsureVaultDirs(Fixer):
    name = "ensure-vault-dirs"
    summary = "mkdir the required Vault directories"

    def plan(self, findings, fx):
        # One fix for all of them: the missing dirs may share missing parents.
        actions = mkdir_actions(fx, [finding_ref(f) for f in findings])
        if actions:
            names = ", ".join(f.path for f in findings)
            fix = fix_for(findings[0], self.name, f"create {names}", actions)
            fix.fingerprints = [f.fingerprint for f in findings]
            yield fix


@hookimpl
def ytm_doctor_collect_fixers():
    return [EnsureVaultDirs()]
