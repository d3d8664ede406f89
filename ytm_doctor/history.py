"""The saved reports read as a history: violations and warnings per scan, and how long each open
finding has been open.

A scan that could not check everything (the share down, a check that errored, findings carried
as unknown) or that checked only part of the rules or channels shows fewer findings without
anything having got better. Every point says so (`full`, `unchecked`), and the trend compares
only scans that are both full and complete, so an outage never reads as an improvement.

How long a finding has been open: since the first saved scan that saw it after the last scan
that resolved it (a report's own `resolved` list, which already knows what each scan could
judge). A finding seen in the oldest report kept is open "at least" that long: retention
(--keep-reports) dropped what came before.

Reports are read one at a time and only their counts and fingerprints kept, so a long history
of large reports stays within memory. The HTML writer adds the scan it is writing (which may
not be saved yet) through `Snapshot.of_report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.carry import UNKNOWN, previous_items
from ytm_doctor.clock import iso_millis, parse_utc
from ytm_doctor.jsonio import JsonInputError, read_json_object
from ytm_doctor.report import LATEST_MAX_BYTES, REPORT_PREFIX
from ytm_doctor.saved_reports import report_groups

if TYPE_CHECKING:
    from ytm_doctor.report import Report

ONLINE = "online"


@dataclass(frozen=True)
class ScanPoint:
    """One scan of the history: when, its counts, and whether it could check everything."""

    run_id: str
    started: datetime
    violations: int
    warnings: int
    info: int
    unknown: int  # findings carried because this scan could not judge them
    share: str  # the share's state as the scan saw it (online, stub, degraded, unmounted...)
    full: bool  # every rule and every channel (what a latest.json is made of)
    unchecked: tuple[str, ...] = ()  # why this scan could not check everything, one phrase each
    source: str = ""  # the saved report's file name; "" for the scan being written

    @property
    def complete(self) -> bool:
        """Full and nothing left unchecked: the only scans a trend may compare."""
        return self.full and not self.unchecked

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started": iso_millis(self.started),
            "violations": self.violations,
            "warnings": self.warnings,
            "info": self.info,
            "unknown": self.unknown,
            "share": self.share,
            "full": self.full,
            "complete": self.complete,
            "unchecked": list(self.unchecked),
            "file": self.source or None,
        }


@dataclass(frozen=True)
class OpenFinding:
    """A finding of the newest scan with the time it was first seen in this open stretch."""

    fingerprint: str
    rule: str
    severity: str
    where: str  # root:path
    episode: str | None
    message: str
    first_seen: datetime
    at_least: bool  # seen already in the oldest saved report: open at least since then
    unknown: bool = False  # carried: the scan could not judge it (still open as far as known)

    def age(self, now: datetime) -> timedelta:
        return max(now - self.first_seen, timedelta(0))

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "severity": self.severity,
            "where": self.where,
            "episode": self.episode,
            "message": self.message,
            "first_seen": iso_millis(self.first_seen),
            "at_least": self.at_least,
            "open_s": int(self.age(now).total_seconds()),
            "open": format_age(self.age(now)),
            "status": UNKNOWN if self.unknown else "open",
        }


@dataclass
class Snapshot:
    """What the history keeps of one report: its point, what it saw, what it resolved, and its
    findings (kept only while it is the newest full scan)."""

    point: ScanPoint
    seen: set[str]
    resolved: list[str]
    findings: list[dict[str, Any]]

    @classmethod
    def of_json(cls, data: Mapping[str, Any], source: str) -> Snapshot:
        """A saved report's snapshot; ValueError (one phrase) when it is not a usable report."""
        run, summary, config = (_mapping(data, key) for key in ("run", "summary", "config"))
        started = parse_utc(run.get("started"))
        findings = data.get("findings")
        if started is None or not isinstance(findings, list):
            raise ValueError("not a ytm-doctor report (no run.started or findings)")
        counts = {}
        for key in ("violations_total", "warnings_total", "info_total"):
            value = summary.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"not a ytm-doctor report (summary.{key} is not a number)")
            counts[key] = value
        share = str(_mapping(config, "share").get("status") or "unknown")
        scope = _mapping(config, "scope")
        unknown = data.get(UNKNOWN) if isinstance(data.get(UNKNOWN), list) else []
        point = ScanPoint(
            run_id=str(run.get("id") or source),
            started=started,
            violations=counts["violations_total"],
            warnings=counts["warnings_total"],
            info=counts["info_total"],
            unknown=len(unknown),
            share=share,
            full=not summary.get("checks_deselected") and not scope.get("channel"),
            unchecked=unchecked_reasons(share, len(unknown), summary.get("checks_errored")),
            source=source,
        )
        resolved = data.get("resolved") if isinstance(data.get("resolved"), list) else []
        return cls(
            point=point,
            seen={item["fingerprint"] for item, _ in previous_items(data)},
            resolved=[fp for fp in resolved if isinstance(fp, str)],
            findings=[_brief(f) for f in [*findings, *unknown] if _fingerprinted(f)],
        )

    @classmethod
    def of_report(cls, report: Report) -> Snapshot:
        """The scan being written, from the Report itself (it may not be saved yet)."""
        summary = report.summary()
        share = str((report.config.get("share") or {}).get("status") or "unknown")
        point = ScanPoint(
            run_id=report.run.id,
            started=report.run.started,
            violations=summary["violations_total"],
            warnings=summary["warnings_total"],
            info=summary["info_total"],
            unknown=len(report.unknown),
            share=share,
            full=report.full_scan,
            unchecked=unchecked_reasons(share, len(report.unknown), report.checks_errored),
        )
        seen = {f.fingerprint for f in report.findings + report.baselined}
        seen.update(str(item.get("fingerprint")) for item in report.unknown)
        findings = [_brief(f.to_json()) for f in report.findings]
        findings += [_brief(item) for item in report.unknown if _fingerprinted(item)]
        return cls(point=point, seen=seen, resolved=list(report.resolved), findings=findings)


def unchecked_reasons(share: str, unknown: int, errored: object) -> tuple[str, ...]:
    """Why a scan could not check everything, as short phrases (empty: it checked all)."""
    reasons = []
    if share != ONLINE:
        reasons.append(f"share {share}: the Vault not walked")
    if unknown:
        reasons.append(f"{unknown} finding{'s' if unknown != 1 else ''} not checked")
    if isinstance(errored, int) and errored:
        reasons.append(f"{errored} check{'s' if errored != 1 else ''} errored")
    return tuple(reasons)


@dataclass
class History:
    """The scans in time order, the newest full scan's open findings, and what was skipped."""

    points: list[ScanPoint] = field(default_factory=list)
    open: list[OpenFinding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line each: file: reason
    # Every unresolved fingerprint's first-seen time (the HTML report's rows look theirs up).
    since: dict[str, datetime] = field(default_factory=dict)
    oldest: datetime | None = None  # the oldest scan read (before `last` cut the points)
    scans_read: int = 0

    @property
    def newest(self) -> ScanPoint | None:
        return self.points[-1] if self.points else None

    def trend(self) -> tuple[ScanPoint, ScanPoint] | None:
        """The last two complete full scans (older, newer): the only fair comparison."""
        complete = [p for p in self.points if p.complete]
        return (complete[-2], complete[-1]) if len(complete) >= 2 else None

    def to_json(self, now: datetime) -> dict[str, Any]:
        trend = self.trend()
        return {
            "scans": [p.to_json() for p in self.points],
            "trend": None
            if trend is None
            else {
                "from": trend[0].run_id,
                "to": trend[1].run_id,
                "violations": trend[1].violations - trend[0].violations,
                "warnings": trend[1].warnings - trend[0].warnings,
            },
            "open": [f.to_json(now) for f in self.open],
            "skipped": self.skipped,
        }


def saved_report_files(report_dir: Path, exclude: Path | None = None) -> list[Path]:
    """The saved JSON reports of `report_dir` in time order (their names carry the stamp)."""
    try:
        groups = report_groups(report_dir)
    except FileNotFoundError:
        return []
    found = [
        path
        for paths in groups.values()
        for path in paths
        if path.suffix == ".json" and (exclude is None or path != exclude)
    ]
    return sorted(found, key=lambda p: p.name)


class HistoryBuilder:
    """Folds snapshots in time order, keeping only what the history shows: every point, the
    first-seen time of each unresolved fingerprint, and the newest full scan's findings."""

    def __init__(self) -> None:
        self.points: list[ScanPoint] = []
        self.skipped: list[str] = []
        self.since: dict[str, datetime] = {}
        self.newest_full: Snapshot | None = None

    def add(self, snap: Snapshot) -> None:
        for fp in snap.resolved:
            self.since.pop(fp, None)
        for fp in snap.seen:
            self.since.setdefault(fp, snap.point.started)
        self.points.append(snap.point)
        if snap.point.full:
            if self.newest_full is not None:
                self.newest_full.findings = []  # only the newest full scan's are listed
            self.newest_full = snap
        snap.seen, snap.resolved = set(), []  # folded in: do not keep 200 scans' fingerprints

    def read(self, files: Iterable[Path]) -> None:
        """Add each readable report in time order; a file that is not one becomes one line in
        `skipped`. Names order the seconds; scans of the same second (their names differ by a
        random suffix) are ordered by their recorded start."""
        for _second, group in groupby(files, key=lambda p: p.name[: len(REPORT_PREFIX) + 16]):
            snaps = [snap for snap in map(self._snapshot, group) if snap is not None]
            for snap in sorted(snaps, key=lambda s: s.point.started):
                self.add(snap)

    def _snapshot(self, path: Path) -> Snapshot | None:
        try:
            data = read_json_object(
                path, max_bytes=LATEST_MAX_BYTES, what="saved report", follow_symlinks=False
            )
            return Snapshot.of_json(data, path.name)
        except JsonInputError as exc:
            self.skipped.append(str(exc))
        except ValueError as exc:
            self.skipped.append(f"saved report {path}: {exc}")
        return None

    def build(self, last: int | None = None) -> History:
        """The history; `last` keeps only the newest N points, while how long a finding has
        been open is still measured over every scan read."""
        oldest = self.points[0].started if self.points else None
        opened = []
        newest = self.newest_full
        for item in newest.findings if newest else ():
            since = self.since.get(item["fingerprint"], newest.point.started)
            at_least = since == oldest and len(self.points) > 1
            opened.append(open_finding(item, since, at_least=at_least))
        opened.sort(key=lambda f: (f.first_seen, f.rule, f.where))
        points = self.points[-last:] if last is not None else list(self.points)
        return History(
            points=points,
            open=opened,
            skipped=list(self.skipped),
            since=self.since,
            oldest=oldest,
            scans_read=len(self.points),
        )


def read_history(
    report_dir: Path,
    *,
    last: int | None = None,
    current: Report | None = None,
    saved_as: Path | None = None,
    newest: int | None = None,
) -> History:
    """The history of the reports saved in `report_dir` (by name: time order), plus `current`
    when given: the scan being written, which comes last (its own saved file `saved_as`, if it
    is there already, is left out). `newest` reads only that many of the newest saved reports
    (the HTML writer, on every scan); ages then count from the oldest one read ("at least")."""
    exclude = saved_as or (current.saved_to if current is not None else None)
    files = saved_report_files(report_dir, exclude)
    builder = HistoryBuilder()
    builder.read(files[-newest:] if newest else files)
    if current is not None:
        builder.add(Snapshot.of_report(current))
    return builder.build(last)


def open_finding(item: Mapping[str, Any], since: datetime, *, at_least: bool) -> OpenFinding:
    return OpenFinding(
        fingerprint=str(item["fingerprint"]),
        rule=str(item.get("rule")),
        severity=str(item.get("severity")),
        where=f"{item.get('root')}:{item.get('path')}",
        episode=item.get("episode") if isinstance(item.get("episode"), str) else None,
        message=str(item.get("message", "")),
        first_seen=since,
        at_least=at_least,
        unknown=item.get("status") == UNKNOWN,
    )


def format_age(age: timedelta) -> str:
    """3d 4h, 5h 07m, 12m, <1m: how long, to the unit that matters."""
    minutes = int(age.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m" if mins else "<1m"


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _fingerprinted(item: object) -> bool:
    return isinstance(item, dict) and isinstance(item.get("fingerprint"), str)


def _brief(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("fingerprint", "rule", "severity", "root", "path", "episode", "message", "status")
    return {k: item.get(k) for k in keys}
