"""reseed-planning-cache (YTM602): copy the planning SoT's version of a file over the local
cache (seed 002 Step B: the Vault's planning is the source of truth, the local copy a cache).

Never writes the SoT. A cache file that differs is backed up (into the run's backups) before
it is replaced; one missing from the cache is created.
"""

from __future__ import annotations

from ytm_doctor.facts import CacheDriftFacts, finding_ref
from ytm_doctor.fix.fixer import Fixer, fix_for, missing_parents, read_bytes
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.plugins.hookspec import hookimpl


class ReseedPlanningCache(Fixer):
    name = "reseed-planning-cache"
    summary = "refresh a local planning/ cache file from the planning SoT"

    def plan(self, findings, fx):
        for finding in findings:
            sot = CacheDriftFacts.from_finding(finding).sot_path
            if not sot:
                yield fx.unfixable(finding, "the SoT file is not known")
                continue
            try:
                data = read_bytes(sot)
            except OSError as exc:
                yield fx.unfixable(finding, f"cannot read the SoT file: {exc.strerror}")
                continue
            cache = finding_ref(finding)
            actions = [Action("mkdir", parent) for parent in missing_parents(cache, fx)]
            exists = fx.state(cache)["kind"] == "file"
            actions.append(
                Action(
                    "replace" if exists else "write", cache, data=data, note="from the planning SoT"
                )
            )
            fix = fix_for(finding, self.name, f"{cache} from the SoT", actions)
            # The plan carries the SoT's bytes: applying it after the SoT changed would write
            # old planning into the cache, so the SoT file's state is a precondition too.
            located = fx.ctx.locate(sot)
            if located is not None and located[1] not in (".", ""):
                fix.reads.append(PathRef(*located))
            yield fix


@hookimpl
def ytm_doctor_collect_fixers():
    return [ReseedPlanningCache()]
