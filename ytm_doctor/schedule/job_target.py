"""One job's files and tools: the host's Target (hosts.py) with the job's own unit/agent names.

The scan keeps the names it always had; every other job gets `ytm-doctor-<job>.service/.timer`
or `ytm.doctor.<job>.plist`, so several jobs coexist. The tools are the host's own (so what
hosts.py decides about systemctl/launchctl applies to every job), renamed for this job.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from ytm_doctor.schedule.hosts import Target, Tool, target_for
from ytm_doctor.schedule.jobs import LABEL, PLIST, SCAN_JOB, SERVICE, TIMER, Job, job_named

if TYPE_CHECKING:
    from ytm_doctor.config import Config


@dataclass
class JobTarget(Target):
    job: Job = SCAN_JOB

    @property
    def names(self) -> list[str]:
        j = self.job
        return [j.service, j.timer] if self.platform == "linux" else [j.plist]

    def _rename(self, tools: list[Tool]) -> list[Tool]:
        renamed = []
        for tool in tools:
            argv = [self._word(word) for word in tool.argv]
            renamed.append(Tool(argv, may_fail=tool.may_fail))
        return renamed

    def _word(self, word: str) -> str:
        j = self.job
        pairs = ((SERVICE, j.service), (TIMER, j.timer), (PLIST, j.plist), (LABEL, j.label))
        for old, new in pairs:
            # Whole words or path/domain tails only: "gui/501/ytm.doctor.scan", ".../x.plist".
            if word == old or word.endswith("/" + old):
                return word[: len(word) - len(old)] + new
        return word

    def enable_tools(self) -> list[Tool]:
        return self._rename(super().enable_tools())

    def disable_tools(self) -> list[Tool]:
        return self._rename(super().disable_tools())

    def after_remove_tools(self) -> list[Tool]:
        return self._rename(super().after_remove_tools())


def job_target(config: Config, job: Job | None = None) -> JobTarget:
    base = target_for(config)
    values = {f.name: getattr(base, f.name) for f in fields(base)}
    return JobTarget(**values, job=job or job_named(config.getoption("job")))
