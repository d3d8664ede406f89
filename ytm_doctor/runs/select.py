"""Which runs may be archived: the guards, decided the same way for the `archive runs` command,
YTM406 and its fixer.

Never archived: a run modified within `archive.keep_recent_minutes` (it may be being generated
or edited), a run holding a `.keep` marker (a person protects it), the run an episode adopts
(`metadata.video_run_id`, else its newest run, as Workspace.adopted_run), and the newest
`archive.keep_last_runs` runs of each episode (newest by the stamp in the run's name, else by its
dir's mtime). A run linked into video/runs from elsewhere is
not a run folder of this workspace and is left too; so is a run that cannot be read (its
recency is unknown).

Deciding is split in two so a scan can measure runs through its shared walk: `pre_decide` needs
only the workspace model (names, adoption, each run dir's own mtime); `conclude` adds what the
runs' trees say (`.keep`, the newest mtime inside, sizes) for the runs still in question.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import parse_file_stamp
from ytm_doctor.errors import UsageError
from ytm_doctor.runs.layout import (
    CHANNEL_RUN_RE,
    EPISODE_RUN_RE,
    KEEP_MARKER,
    RunStats,
    measure_run,
    run_rel,
)

if TYPE_CHECKING:
    from ytm_doctor.workspace import Workspace

STAMP_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
RECENT, KEEP, ADOPTED, NEWEST, LINK, UNREADABLE = (
    "recent",
    ".keep",
    "adopted",
    "newest",
    "link",
    "unreadable",
)


@dataclass(frozen=True)
class Guards:
    keep_recent_minutes: int
    keep_last_runs: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | Any) -> Guards:
        recent = config["archive.keep_recent_minutes"]
        last = config["archive.keep_last_runs"]
        if recent is None or recent < 0:
            raise UsageError(f"archive.keep_recent_minutes must be 0 or more, got {recent}")
        if last is None or last < 0:
            raise UsageError(f"archive.keep_last_runs must be 0 or more, got {last}")
        return cls(int(recent), int(last))

    def describe(self) -> str:
        recent = (
            f"modified within {self.keep_recent_minutes} min"
            if self.keep_recent_minutes
            else "(recent: off)"
        )
        return f"kept: {recent}, {KEEP}, adopted, newest {self.keep_last_runs} per episode"

    def to_json(self) -> dict[str, int]:
        return {
            "keep_recent_minutes": self.keep_recent_minutes,
            "keep_last_runs": self.keep_last_runs,
        }


@dataclass(frozen=True)
class Selection:
    """Which runs are asked about: --channel/--video or --all, and --unscoped-only."""

    channel: str | None = None
    video: str | None = None
    unscoped_only: bool = False

    def includes(self, run: RunInfo) -> bool:
        if self.unscoped_only and run.episode is not None:
            return False
        if self.channel and run.channel != self.channel:
            return False
        return not self.video or run.video == self.video

    def describe(self) -> str:
        where = f"{self.channel}-{self.video}" if self.video else (self.channel or "all channels")
        return f"{where}, runs tied to no episode only" if self.unscoped_only else where

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "video": self.video, "unscoped_only": self.unscoped_only}


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    path: str  # absolute: <workspace>/video/runs/<run_id>
    episode: str | None  # the episode it belongs to (by its name, or adopted by it)
    channel: str | None
    video: str | None
    unscoped: str | None  # why it belongs to no episode (legacy names), else None
    adopted_by: tuple[str, ...]
    mtime_ns: int  # the run dir's own mtime
    is_link: bool

    @property
    def made_ns(self) -> int:
        """When the run was made: the UTC stamp in its name (CH02-012__20260120T101500Z), else
        its dir's mtime. Orders an episode's runs for the newest-N guard; the name first,
        because writing a `.keep` into an old run (or touching it) must not make it "newest"
        and push a genuinely newer run out of the guard."""
        match = STAMP_RE.search(self.run_id)
        made = parse_file_stamp(match.group(0)) if match else None
        if made is not None:
            return int(made.timestamp()) * 1_000_000_000
        return self.mtime_ns

    @property
    def rel(self) -> str:
        return run_rel(self.run_id)


@dataclass
class Decision:
    run: RunInfo
    kept: list[str] = field(default_factory=list)  # guard names, in the order they hold
    why: list[str] = field(default_factory=list)  # the same, for a person
    stats: RunStats | None = None

    @property
    def archivable(self) -> bool:
        return not self.kept

    def keep(self, guard: str, why: str) -> None:
        if guard not in self.kept:
            self.kept.append(guard)
            self.why.append(why)


def describe_runs(ws: Workspace) -> list[RunInfo]:
    """Every run of video/runs with the episode it belongs to, if any."""
    adopters: dict[str, list[str]] = {}
    for ep in ws.episodes.values():
        adopted = ws.adopted_run(ep)
        if adopted:
            adopters.setdefault(adopted, []).append(ep.id)
    runs = []
    for run_id, path in ws.runs.items():
        channel = video = episode = None
        unscoped = None
        match = EPISODE_RUN_RE.match(run_id)
        if match:
            channel, video = match.group(1), match.group(2)
            if f"{channel}-{video}" in ws.episodes:
                episode = f"{channel}-{video}"
            else:
                unscoped = f"no episode {channel}-{video}"
        elif (channel_match := CHANNEL_RUN_RE.match(run_id)) is not None:
            channel, unscoped = channel_match.group(1), "no episode in its name"
        elif run_id.isdigit():
            unscoped = "numeric"
        elif run_id.startswith("api_"):
            unscoped = "api_*"
        else:
            unscoped = "legacy name"
        adopted_by = tuple(adopters.get(run_id, ()))
        if episode is None and adopted_by:
            # A legacy name an episode adopts belongs to that episode.
            episode, unscoped = adopted_by[0], None
            channel, video = episode.split("-")
        runs.append(
            RunInfo(
                run_id=run_id,
                path=path,
                episode=episode,
                channel=channel,
                video=video,
                unscoped=unscoped,
                adopted_by=adopted_by,
                mtime_ns=ws.run_mtimes_ns.get(run_id, 0),
                is_link=run_id in ws.run_links,
            )
        )
    return runs


def pre_decide(runs: list[RunInfo], selection: Selection, guards: Guards) -> list[Decision]:
    """The runs `selection` asks about, with the guards the workspace model alone decides:
    adopted, newest N of the episode (over all its runs, asked about or not), a link."""
    newest: set[str] = set()
    by_episode: dict[str, list[RunInfo]] = {}
    for run in runs:
        if run.episode:
            by_episode.setdefault(run.episode, []).append(run)
    for members in by_episode.values():
        ordered = sorted(members, key=lambda r: (r.made_ns, r.run_id), reverse=True)
        newest.update(r.run_id for r in ordered[: guards.keep_last_runs])
    decisions = []
    for run in runs:
        if not selection.includes(run):
            continue
        decision = Decision(run)
        if run.adopted_by:
            decision.keep(ADOPTED, f"adopted by {', '.join(run.adopted_by)}")
        if run.run_id in newest:
            decision.keep(NEWEST, f"one of the newest {guards.keep_last_runs} of {run.episode}")
        if run.is_link:
            decision.keep(LINK, "a link into video/runs, not a run folder")
        decisions.append(decision)
    return decisions


def conclude(
    decisions: list[Decision],
    stats: Mapping[str, RunStats],
    guards: Guards,
    now_ns: int | None = None,
) -> list[Decision]:
    """Add what each run's tree says: `.keep`, modified recently, unreadable."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    cutoff = now_ns - guards.keep_recent_minutes * 60 * 1_000_000_000
    for decision in decisions:
        measured = stats.get(decision.run.run_id)
        if measured is None:
            continue
        decision.stats = measured
        if measured.keep_marker:
            decision.keep(KEEP, "holds a .keep marker")
        if measured.error:
            decision.keep(UNREADABLE, f"cannot be read whole ({measured.error})")
        elif guards.keep_recent_minutes and measured.newest_ns >= cutoff:
            ago = max(0, (now_ns - measured.newest_ns) // 60_000_000_000)
            when = f"{ago} min ago" if ago else "less than a minute ago"
            decision.keep(RECENT, f"modified {when} (within {guards.keep_recent_minutes} min)")
    return decisions


def decide(
    ws: Workspace,
    selection: Selection,
    guards: Guards,
    *,
    measure: Callable[[str], RunStats] = measure_run,
    now_ns: int | None = None,
) -> list[Decision]:
    """Every run `selection` asks about, decided; the runs no model guard keeps are measured
    (the kept ones only looked at for `.keep`, so the report names every reason it can cheaply)."""
    decisions = pre_decide(describe_runs(ws), selection, guards)
    stats: dict[str, RunStats] = {}
    for decision in decisions:
        run = decision.run
        if decision.kept:
            keep = not run.is_link and os.path.lexists(os.path.join(run.path, KEEP_MARKER))
            stats[run.run_id] = RunStats(keep_marker=keep, newest_ns=0)
        else:
            stats[run.run_id] = measure(run.path)
    concluded = conclude(decisions, stats, guards, now_ns)
    for decision in concluded:
        if decision.stats is not None and decision.stats.entries == 0:
            decision.stats = None  # only looked at for .keep: no size to report
    return concluded
