"""store (YTM702, YTM705): put what the shared store lacks into it, through the same plans as
`ytm-doctor store` (ytm_doctor/store.py): a verified copy of the local file, then a manifest.

YTM702: a stored copy that is missing or damaged is stored again from its local source; a
damaged copy is renamed aside (`<name>.corrupt_<stamp>`), never deleted. YTM705: a published
episode's L1 artifacts that no manifest records are stored. Never destructive: a fixer never
releases a local file (that is `store --symlink-back/--move`, asked for explicitly).
"""

from __future__ import annotations

from ytm_doctor.errors import UsageError
from ytm_doctor.facts import NotFixable, StoredCopyFacts, UnstoredFacts
from ytm_doctor.fix.fixer import Fixer
from ytm_doctor.model import Finding
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
            except NotFixable as exc:
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


def _artifacts(finding: Finding) -> list[Artifact]:
    if finding.rule == "YTM702":
        copy = StoredCopyFacts.from_finding(finding)
        stored = StoredCopyFacts.stored_path(finding)
        ref = copy.source_ref(finding)
        return [Artifact(copy.kind, ref, stored, finding.channel, finding.video)]
    return [
        Artifact(item.kind, item.ref(), item.dest, finding.channel, finding.video, item.run_id)
        for item in UnstoredFacts.from_finding(finding).artifacts
    ]


@hookimpl
def ytm_doctor_collect_fixers():
    return [StoreFixer()]
