"""remove-abandoned-temps (YTM707): remove the temp files of killed copies and writes, only
those written on this host by a process that is not alive (checked again when it runs, by the
`discard_temp` operation). A removed temp is not kept, so this fixer runs only when selected by
name (`fix --select YTM707 --run`)."""

from __future__ import annotations

from ytm_doctor.facts import finding_ref
from ytm_doctor.fix.fixer import Fixer, fix_for
from ytm_doctor.fix.plan import Action
from ytm_doctor.plugins.hookspec import hookimpl


class RemoveAbandonedTemps(Fixer):
    name = "remove-abandoned-temps"
    summary = "remove temp files of killed copies and writes of this host (not kept)"
    irreversible = True  # asked for by name only (see Fixer.irreversible)

    def plan(self, findings, fx):
        for finding in findings:
            ref = finding_ref(finding)
            action = Action("discard_temp", ref, note="abandoned temp file")
            yield fix_for(finding, self.name, f"remove the abandoned temp {ref.name}", [action])


@hookimpl
def ytm_doctor_collect_fixers():
    return [RemoveAbandonedTemps()]
