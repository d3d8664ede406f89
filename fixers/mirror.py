"""mirror (YTM703): bring the Vault up to date with one Hot → Vault mirror run.

The plan is a single `rsync` action on the Vault's workspaces dir. It carries no command line:
the mirror's rsync operation (ytm_doctor.mirror.operation) reads every setting (binary, nice,
timeout, filters) from the configuration when the plan is applied, checks the share and the
sentinel again, takes the mirror lock and logs the run. What it deletes or overwrites on the Vault
is kept in the share's ytm_mirror_backups/<run_id>/, and undo puts it back.

Because a mirror rewrites the Vault (delete-sync removes there what Hot no longer has), it is
`irreversible` in the fix engine's sense: it runs only when asked for by name (`fix --select
YTM703`, YTM70, YTM7, or the finding's `--fingerprint`); a bare `fix --run` leaves it out and
says why.
"""

from __future__ import annotations

from ytm_doctor.fix.fixer import Fixer, fix_for
from ytm_doctor.plugins.hookspec import hookimpl


class Mirror(Fixer):
    name = "mirror"
    summary = "run the Hot -> Vault mirror now (rsync, delete-sync; what it replaces is kept)"

    irreversible = True  # asked for by name only (see Fixer.irreversible)

    def plan(self, findings, fx):
        # Imported when planning: every scan loads this fixer, and the mirror's machinery (rsync,
        # filters, the link walk) is a tenth of a small scan's start-up.
        from ytm_doctor.mirror.operation import rsync_action

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
