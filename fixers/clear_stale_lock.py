"""clear-stale-lock (YTM704): rename a dead owner's lock file aside.

The lock is renamed to `<name>.lock.stale_<stamp>` beside it (kept: it says who died holding
it), so the next mirror, store or scheduled scan starts without a takeover. The plan records the
lock's bytes: if its owner turns out alive and refreshes the heartbeat, or another process takes
it over before the plan is applied, the fix is refused as stale. Undo renames it back.
"""

from __future__ import annotations

from ytm_doctor.facts import LockFacts, finding_ref
from ytm_doctor.fix.fixer import Fixer, fix_for
from ytm_doctor.fix.plan import Action
from ytm_doctor.plugins.hookspec import hookimpl


class ClearStaleLock(Fixer):
    name = "clear-stale-lock"
    summary = "rename a stale lock file aside (<name>.lock.stale_<stamp>)"

    def plan(self, findings, fx):
        for finding in findings:
            ref = finding_ref(finding)
            aside = ref.sibling(f"{ref.name}.stale_{fx.stamp}")
            reason = LockFacts.from_finding(finding).reason or "stale"
            action = Action("rename", ref, dest=aside, note=reason)
            yield fix_for(finding, self.name, f"rename the stale lock {ref.name} aside", [action])


@hookimpl
def ytm_doctor_collect_fixers():
    return [ClearStaleLock()]
