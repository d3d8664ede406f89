"""`ytm-doctor fleet`: every host's published report side by side (seed 002's watchdog).

Each host that scans with `--publish` leaves `<share>/_reports/ytm_doctor__<host>.json` (its
latest full report). Read together they answer what one host's report cannot: is every host
still reporting, does each see the share in the same state, and which findings one host has
and another has not (by fingerprint: the Mac and the gateway mount the Vault at different
paths, so a link one of them wrote may be broken for the other only).

A host whose report is older than `fleet.stale_after_minutes` is "not reporting"; a report that
cannot be read (torn, not JSON, not a report) is one warning line and a row of its own. Only
the reports directory is listed; nothing is walked and nothing written but `--html PATH`.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ytm_doctor.clock import parse_utc
from ytm_doctor.identity import published_name, report_host
from ytm_doctor.jsonio import JsonInputError, read_json_object
from ytm_doctor.paths import PUBLISH_SUBDIR
from ytm_doctor.report import LATEST_MAX_BYTES

SCHEMA = "ytm_doctor.fleet.v1"
REPORT_NAME = re.compile(r"ytm_doctor__(.+)\.json")
SEVERITIES = ("violation", "warning", "info")


@dataclass
class HostReport:
    """One host's published report, as much of it as the fleet shows."""

    host: str  # as in its file name: the host name `--publish` gave it
    file: str
    state: str  # reporting, not-reporting, unreadable
    problem: str | None = None
    this_host: bool = False
    last_seen: str | None = None  # when its last full scan ended (its own clock)
    age_s: float | None = None
    share_status: str | None = None  # the share as that host saw it
    share_root: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    exit_code: int | None = None
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)  # by fingerprint

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["findings"] = len(self.findings)
        return data


@dataclass
class Difference:
    """A finding some hosts have and others (that report readably) have not."""

    fingerprint: str
    rule: str
    severity: str
    message: str
    root: str | None
    path: str | None
    seen_by: list[str]
    not_seen_by: list[str]


@dataclass
class Fleet:
    share_root: str
    reports_dir: str
    stale_after_minutes: float
    hosts: list[HostReport]
    differences: list[Difference]
    checked_at: str

    @property
    def exit_code(self) -> int:
        """1 when any host is not reporting or its report cannot be read."""
        return 1 if any(h.state != "reporting" for h in self.hosts) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "checked_at": self.checked_at,
            "share_root": self.share_root,
            "reports_dir": self.reports_dir,
            "stale_after_minutes": self.stale_after_minutes,
            "hosts": [h.to_json() for h in self.hosts],
            "differences": [asdict(d) for d in self.differences],
            "exit_code": self.exit_code,
        }


def gather_fleet(share_root: Path, stale_after_minutes: float, now: float | None = None) -> Fleet:
    """Read every published report under `<share_root>/_reports/` (the share must be online:
    the caller says so otherwise). Unreadable reports come back as rows with a `problem`."""
    now = time.time() if now is None else now
    folder = share_root / PUBLISH_SUBDIR
    try:
        names = sorted(n for n in os.listdir(folder) if REPORT_NAME.fullmatch(n))
    except OSError:
        names = []  # nobody published yet
    me = report_host()
    hosts = []
    for name in names:
        row = read_host_report(folder / name, now, stale_after_minutes * 60)
        row.this_host = name == published_name(me)
        hosts.append(row)
    return Fleet(
        share_root=os.fspath(share_root),
        reports_dir=os.fspath(folder),
        stale_after_minutes=stale_after_minutes,
        hosts=hosts,
        differences=differences(hosts),
        checked_at=datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def read_host_report(path: Path, now: float, stale_after_s: float) -> HostReport:
    match = REPORT_NAME.fullmatch(path.name)
    host = match.group(1) if match else path.name
    row = HostReport(host=host, file=os.fspath(path), state="unreadable")
    try:
        data = read_json_object(path, max_bytes=LATEST_MAX_BYTES, what="published report")
    except JsonInputError as exc:
        row.problem = str(exc)
        return row
    run, summary = data.get("run"), data.get("summary")
    findings = data.get("findings")
    if not isinstance(run, dict) or not isinstance(summary, dict) or not isinstance(findings, list):
        row.problem = f"published report {path}: not a ytm-doctor report"
        return row
    seen = parse_utc(run.get("ended")) or parse_utc(run.get("started"))
    if seen is None:
        row.problem = f"published report {path}: no time of its run"
        return row
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    share = config.get("share") if isinstance(config.get("share"), dict) else {}
    row.last_seen = run.get("ended") or run.get("started")
    row.age_s = round(now - seen.timestamp(), 1)
    row.state = "reporting" if row.age_s <= stale_after_s else "not-reporting"
    row.share_status = share.get("status") if isinstance(share.get("status"), str) else None
    row.share_root = config.get("share_root") if isinstance(config.get("share_root"), str) else None
    row.counts = {
        "violations": _int(summary.get("violations_total")),
        "warnings": _int(summary.get("warnings_total")),
        "info": _int(summary.get("info_total")),
        "unknown": _int(summary.get("unknown_total")),
    }
    row.exit_code = summary.get("exit_code") if isinstance(summary.get("exit_code"), int) else None
    for item in findings:
        if isinstance(item, dict) and isinstance(item.get("fingerprint"), str):
            row.findings[item["fingerprint"]] = item
    return row


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def differences(hosts: list[HostReport]) -> list[Difference]:
    """The findings not every readable host has, worst first, then by rule and path."""
    readable = [h for h in hosts if h.state != "unreadable"]
    if len(readable) < 2:
        return []
    names = [h.host for h in readable]
    every: dict[str, dict[str, Any]] = {}
    for h in readable:
        for fp, item in h.findings.items():
            every.setdefault(fp, item)
    found = []
    for fp, item in every.items():
        seen = [h.host for h in readable if fp in h.findings]
        if len(seen) == len(readable):
            continue
        found.append(
            Difference(
                fingerprint=fp,
                rule=str(item.get("rule") or "?"),
                severity=str(item.get("severity") or "?"),
                message=str(item.get("message") or ""),
                root=item.get("root") if isinstance(item.get("root"), str) else None,
                path=item.get("path") if isinstance(item.get("path"), str) else None,
                seen_by=seen,
                not_seen_by=[n for n in names if n not in seen],
            )
        )

    def order(d: Difference) -> tuple:
        rank = SEVERITIES.index(d.severity) if d.severity in SEVERITIES else len(SEVERITIES)
        return (rank, d.rule, d.path or "", d.fingerprint)

    return sorted(found, key=order)
