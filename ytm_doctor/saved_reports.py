"""Where saved reports live and what they are named: shared by the scan (which decides where
this scan's report goes before any writer runs), the writers, retention and `schedule status`.

A saving scan writes `report__<stamp>[__<run suffix>].json` and its `.html` twin into the report
directory, and, when it is a full scan, `latest.json` and `latest.html` beside them.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.report import LATEST_NAME, REPORT_PREFIX

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.report import Report

DEFAULT_KEEP_REPORTS = 200
LATEST_HTML = "latest.html"
# What a saving scan names its files: report__<stamp>[__<run suffix>].json|.html
# A second scan in the same second adds the microsecond it started and the end of its run id,
# so names sort in time order (older names had only the run id).
REPORT_FILE = re.compile(r"report__(\d{8}T\d{6}Z(?:__(?:\d{6}-)?[0-9a-f]{6})?)\.(?:json|html)")


@dataclass(frozen=True)
class SavedReport:
    """Where one scan's report is saved, decided before any writer runs: every writer and
    notifier reads the same answer, whichever of them runs first (or at all)."""

    json: Path  # report__<stamp>[__<run suffix>].json in the report directory
    latest: bool  # a full scan: latest.json and latest.html are written too

    @property
    def directory(self) -> Path:
        return self.json.parent

    @property
    def html(self) -> Path:
        return self.json.with_suffix(".html")

    @property
    def latest_json(self) -> Path:
        return self.directory / LATEST_NAME

    @property
    def latest_html(self) -> Path:
        return self.directory / LATEST_HTML


def saved_report_for(report: Report, config: Config) -> SavedReport | None:
    """Where `report` is to be saved, or None when this scan saves nothing: under --no-save,
    and for an empty selection (it must not replace the history that --lf reads)."""
    if config.getoption("no_save") or not report.outcomes:
        return None
    return saved_report_in(config.paths.report_dir, report)


def saved_report_in(report_dir: Path, report: Report) -> SavedReport:
    """The report's names in `report_dir`; two scans in one second keep both: the later one's
    names add the microsecond it started and the end of its run id, so that sorting the names
    still sorts the scans (history and the trend read them in that order)."""
    path = report_dir / f"{REPORT_PREFIX}{report.run.stamp}.json"
    if path.exists() or path.with_suffix(".html").exists():
        micro = f"{report.run.started.microsecond:06d}"
        path = report_dir / f"{REPORT_PREFIX}{report.run.stamp}__{micro}-{report.run.id[-6:]}.json"
    return SavedReport(json=path, latest=report.full_scan)


def whole_number_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= `minimum` (--keep-reports, history --last)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


# argparse type of --keep-reports: 0 keeps every report.
keep_reports_value = whole_number_at_least(0)


def report_groups(report_dir: Path) -> dict[str, list[Path]]:
    """The saved reports of `report_dir`, each stamp (with its suffix) with its files."""
    groups: dict[str, list[Path]] = {}
    with os.scandir(report_dir) as it:
        for de in it:
            match = REPORT_FILE.fullmatch(de.name)
            if match and de.is_file(follow_symlinks=False):
                groups.setdefault(match.group(1), []).append(Path(de.path))
    return groups
