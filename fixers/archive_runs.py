"""archive-runs (YTM406): the archive `ytm-doctor archive runs` makes, planned for the runs the
finding listed: the guards are asked again now, so a run modified, marked `.keep` or adopted
since the scan stays where it is."""

from __future__ import annotations

from datetime import datetime, timezone

from ytm_doctor.clock import FILE_STAMP
from ytm_doctor.facts import ArchivableRunsFacts
from ytm_doctor.fix.fixer import Fixer
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.runs.archive import plan_archive
from ytm_doctor.runs.select import Guards, Selection


class ArchiveRuns(Fixer):
    name = "archive-runs"
    summary = "move the runs the guards let go to video/_archive/<stamp>/runs/, with a report"

    def plan(self, findings, fx):
        guards = Guards.from_config(fx.ctx.config)
        created = datetime.strptime(fx.stamp, FILE_STAMP).replace(tzinfo=timezone.utc)
        for finding in findings:
            facts = ArchivableRunsFacts.from_finding(finding)
            archive = plan_archive(
                fx.ctx,
                Selection(facts.channel, facts.video),
                guards,
                created,
                fx.stamp,
                only=facts.run_ids,
                reason=f"ytm-doctor fix {finding.rule}",
                rule=finding.rule,
                fingerprints=[finding.fingerprint],
            )
            if archive.fix is None:
                yield fx.unfixable(finding, "no run it lists may be archived any more")
            else:
                yield archive.fix


@hookimpl
def ytm_doctor_collect_fixers():
    return [ArchiveRuns()]
