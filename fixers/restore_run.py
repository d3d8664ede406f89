"""restore-run (YTM405): move an episode's adopted run back from video/_archive (seed 003:
restore_video_runs). A rename within the workspace: nothing copied, nothing lost, and undo
moves it back."""

from __future__ import annotations

from ytm_doctor.facts import ArchivedRunFacts, path_ref
from ytm_doctor.fix.fixer import Fixer, fix_for, missing_parents
from ytm_doctor.fix.plan import Action
from ytm_doctor.plugins.hookspec import hookimpl


class RestoreRun(Fixer):
    name = "restore-run"
    summary = "move the adopted run back from video/_archive to video/runs"

    def plan(self, findings, fx):
        for finding in findings:
            copies = ArchivedRunFacts.from_finding(finding).copy_refs(finding)
            if len(copies) != 1:
                yield fx.unfixable(finding, f"{len(copies)} archived copies; restore by hand")
                continue
            source = copies[0]
            dest = path_ref("workspace", finding.path, finding, "its path")
            actions = [Action("mkdir", parent) for parent in missing_parents(dest, fx)]
            actions.append(Action("rename", source, dest=dest, note="restore from the archive"))
            yield fix_for(finding, self.name, f"restore {dest.rel} from {source.rel}", actions)


@hookimpl
def ytm_doctor_collect_fixers():
    return [RestoreRun()]
