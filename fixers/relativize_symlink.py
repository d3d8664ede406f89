"""relativize-symlink (YTM202): turn an absolute symlink in the Vault into a relative one that
resolves on every host that mounts the share (seed 002: vault_workspaces_doctor).

Only when the target maps into the share (through the share root, its real path or a host
alias) and the relative link resolves; the check marks every other case unfixable. The old link
is renamed aside as `<name>.symlink_shared_backup_<stamp>`, as the seeds do.
"""

from __future__ import annotations

from ytm_doctor.facts import SymlinkFacts, finding_ref
from ytm_doctor.fix.fixer import Fixer, fix_for
from ytm_doctor.fix.plan import Action
from ytm_doctor.plugins.hookspec import hookimpl


class RelativizeSymlink(Fixer):
    name = "relativize-symlink"
    summary = "replace an absolute Vault symlink by the relative one into the share"

    def plan(self, findings, fx):
        for finding in findings:
            new_target = SymlinkFacts.from_finding(finding).relative_target
            if not new_target:
                yield fx.unfixable(finding, "no relative target was computed")
                continue
            link = finding_ref(finding)
            backup = link.sibling(fx.backup_name(link.name))
            actions = [
                Action("rename", link, dest=backup, note="keep the absolute link aside"),
                Action("symlink", link, target=new_target),
            ]
            yield fix_for(finding, self.name, f"{link} -> {new_target}", actions)


@hookimpl
def ytm_doctor_collect_fixers():
    return [RelativizeSymlink()]
