"""reseed-planning-cache (YTM602): copy the planning SoT's version of a file over the local
cache (seed 002 Step B: the Vault's planning is the source of truth, the local copy a cache).

Never writes the SoT. A cache file that differs is backed up (into the run's backups) before
it is replaced; one missing from the cache is created.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ytm_doctor.fixer import Fixer, fix_for, read_bytes
from ytm_doctor.plan import Action, PathRef
from ytm_doctor.plugins.hookspec import hookimpl


class ReseedPlanningCache(Fixer):
    name = "reseed-planning-cache"
    summary = "refresh a local planning/ cache file from the planning SoT"

    def plan(self, findings, fx):
        for finding in findings:
            sot = finding.details.get("sot_path")
            if not sot:
                yield fx.unfixable(finding, "the SoT file is not known")
                continue
            try:
                data = read_bytes(sot)
            except OSError as exc:
                yield fx.unfixable(finding, f"cannot read the SoT file: {exc.strerror}")
                continue
            cache = PathRef(finding.root, finding.path)
            actions = []
            parts = PurePosixPath(cache.rel).parts
            for depth in range(1, len(parts)):
                parent = PathRef(cache.root, "/".join(parts[:depth]))
                if fx.state(parent)["kind"] == "missing":
                    actions.append(Action("mkdir", parent))
            exists = fx.state(cache)["kind"] == "file"
            actions.append(
                Action(
                    "replace" if exists else "write", cache, data=data, note="from the planning SoT"
                )
            )
            yield fix_for(finding, self.name, f"{cache} from the SoT", actions)


@hookimpl
def ytm_doctor_collect_fixers():
    return [ReseedPlanningCache()]
