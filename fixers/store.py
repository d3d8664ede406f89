"""store (YTM702, YTM705): put what the shared store lacks into it, through the same plans as
`ytm-doctor store` (ytm_doctor/store.py): a verified copy of the local file, then a manifest.

YTM702: a stored copy that is missing or damaged is stored again from its local source; a
damaged copy is renamed aside (`<name>.corrupt_<stamp>`), never deleted. YTM705: a published
episode's L1 artifacts that no manifest records are stored. Never destructive: a fixer never
releases a local file (that is `store --symlink-back/--move`, asked for explicitly).
"""

from __future__ import annotations

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.fixer import Fixer
from ytm_doctor.fix.plan import PathRef
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.store.layout import Artifact, StorePlanner, store_target


class StoreFixer(Fixer):
    name = "store"
    summary = "store a verified copy of the local file and record it in a manifest"

    def plan(self, findings, fx):
        planner = StorePlanner(fx.ctx, store_target(fx.ctx), fx.stamp)
        for finding in findings:
            try:
                artifacts = _artifacts(finding)
            except (KeyError, TypeError, ValueError, UsageError) as exc:
                yield fx.unfixable(finding, f"the finding does not say what to store ({exc})")
                continue
            try:
                fixes = planner.fixes(
                    artifacts, rule=finding.rule, fingerprints=[finding.fingerprint]
                )
            except (UsageError, OSError) as exc:
                yield fx.unfixable(finding, str(exc))
                continue
            if not fixes:
                yield fx.unfixable(finding, "already stored; scan again")
            yield from fixes


def _artifacts(finding) -> list[Artifact]:
    details = finding.details
    if finding.rule == "YTM702":
        source = details["source"]
        stored = finding.path.split("/", 2)[2]  # uploads/<namespace>/<stored path>
        ref = PathRef(str(source["root"]), str(source["path"]))
        return [Artifact(details["kind"], ref, stored, finding.channel, finding.video)]
    return [
        Artifact(
            item["kind"],
            PathRef("workspace", item["path"]),
            item["dest"],
            finding.channel,
            finding.video,
            item.get("run_id"),
        )
        for item in details["artifacts"]
    ]


@hookimpl
def ytm_doctor_collect_fixers():
    return [StoreFixer()]
