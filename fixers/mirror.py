"""mirror (YTM703): bring the Vault up to date with one Hot → Vault mirror run.

The plan is a single `rsync` action on the Vault's workspaces dir. It carries no command line:
the mirror's rsync operation (ytm_doctor.mirror.operation) reads every setting (binary, nice,
timeout, filters) from the configuration when the plan is applied, checks the share and the
sentinel again, takes the mirror lock and logs the run. It cannot be undone; the journal says so.

Because it cannot be undone (delete-sync removes on the Vault what Hot no longer has), it is
`irreversible`: the fix engine runs it only when asked for by name (`fix --select YTM703`, YTM70,
YTM7, or the finding's `--fingerprint`); a bare `fix --run` leaves it out and says why, so that
`fix --run` followed by `undo --run` still restores everything (SPEC §10).
"""

from __future__ import annotations

from ytm_doctor.fix.fixer import Fixer, fix_for
from ytm_doctor.mirror.operation import rsync_action
from ytm_doctor.plugins.hookspec import hookimpl


class Mirror(Fixer):
    name = "mirror"
    summary = "run the Hot -> Vault mirror now (rsync, delete-sync; cannot be undone)"

    irreversible = True  # asked for by name only (see Fixer.irreversible)

    def plan(self, findings, fx):
        vault_name = fx.ctx.paths.vault_workspaces_root.name
        for finding in findings[:1]:  # one mirror, however many findings ask for it
            fix = fix_for(
                finding,
                self.name,
                "mirror the Hot workspace to the Vault (delete-sync)",
                [rsync_action(vault_name, delete=True)],
            )
            fix.fingerprints = [f.fingerprint for f in findings]
            yield fix


@hookimpl
def ytm_doctor_collect_fixers():
    return [Mirror()]
