"""Saved-report housekeeping after a scan: retention (`--keep-reports N`) and `--publish`.

Retention is the one deletion ytm-doctor makes on its own: after a report is saved, the oldest
`report__<stamp>.json` / `.html` files of the report directory beyond the newest N reports are
removed. Only names of exactly that pattern, directly in the report directory, are candidates;
latest.*, journals, the audit log, backups and anything else are never touched.

`--publish` copies latest.json / latest.html to `<share>/_reports/ytm_doctor__<host>.json|.html`
(atomically) so the other hosts can see this one's state; while the share is offline or a stub
nothing is written into it and one line on stderr says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.atomic import write_atomic
from ytm_doctor.identity import published_name
from ytm_doctor.mount import share_state
from ytm_doctor.paths import PUBLISH_SUBDIR
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.saved_reports import (
    DEFAULT_KEEP_REPORTS,
    REPORT_FILE,
    SavedReport,
    keep_reports_value,
    report_groups,
)

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.report import Report

PUBLISH_DIR = PUBLISH_SUBDIR


@hookimpl
def ytm_doctor_addoption(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("saved reports")
    group.add_argument(
        "--keep-reports",
        metavar="N",
        type=keep_reports_value,
        default=DEFAULT_KEEP_REPORTS,
        help="after saving, delete the oldest report__*.json/.html beyond the newest N "
        f"(default {DEFAULT_KEEP_REPORTS}; 0 keeps all); nothing else is ever deleted",
    )
    group.add_argument(
        "--publish",
        action="store_true",
        help="copy latest.json/latest.html to <share>/_reports/ytm_doctor__<host>.* "
        "when the share is online",
    )


@hookimpl
def ytm_doctor_report_ready(report: Report, config: Config, saved: SavedReport | None) -> None:
    publish = bool(config.getoption("publish"))
    if saved is None:
        if publish:
            _say("--publish: no report was saved by this scan, nothing to publish")
        return
    keep = config.getoption("keep_reports", DEFAULT_KEEP_REPORTS)
    if keep:
        try:
            prune_reports(saved.directory, keep, protect=saved.json)
        except OSError as exc:
            _say(f"warning: old reports not pruned: {exc}")
    if publish:
        publish_latest(report, config, saved)


def _say(text: str) -> None:
    print(f"ytm-doctor: {text}", file=sys.stderr)


def prune_reports(report_dir: Path, keep: int, protect: Path | None = None) -> list[Path]:
    """Delete the files of every saved report older than the newest `keep`; returns them.

    A report is its JSON and HTML pair. Stamps sort chronologically as text. The report just
    saved is kept whatever its stamp says (a clock set back must not delete it)."""
    groups = report_groups(report_dir)
    protected = None
    if protect is not None:
        match = REPORT_FILE.fullmatch(protect.name)
        protected = match.group(1) if match else None
    stamps = sorted(groups, reverse=True)
    kept = set(stamps[:keep])
    if protected in groups and protected not in kept:
        kept.discard(stamps[keep - 1])  # the protected one takes the last place
        kept.add(protected)
    removed = []
    for stamp in stamps:
        if stamp in kept:
            continue
        for path in groups[stamp]:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed


def publish_latest(report: Report, config: Config, saved: SavedReport) -> list[Path]:
    """Copy latest.json / latest.html to the share; returns what was written."""
    if not saved.latest:
        _say("--publish: only a full scan becomes latest.json; this narrowed one is not published")
        return []
    paths = config.paths
    # Looked at again now: the share may have gone since the scan began.
    state = share_state(paths, config["shared_storage.require_mount"])
    if not state.online:
        _say(f"--publish: share is {state.status}, report not published to {paths.share_root}")
        return []
    dest_dir = paths.share_root / PUBLISH_DIR
    written = []
    try:
        if dest_dir.is_symlink():
            # A link would lead the copy out of the share: refuse rather than follow it.
            _say(f"--publish: {dest_dir} is a symlink, report not published")
            return []
        dest_dir.mkdir(exist_ok=True)
        # Whichever of them this scan's writers wrote (a writer may be switched off).
        for source, suffix in ((saved.latest_json, ".json"), (saved.latest_html, ".html")):
            if not source.is_file():
                continue
            dest = dest_dir / published_name(report.run.host, suffix)
            write_atomic(dest, source.read_bytes())
            written.append(dest)
    except OSError as exc:
        _say(f"warning: --publish failed: {exc}")
        return written
    if config.getoption("verbose"):
        _say("published " + ", ".join(str(p) for p in written))
    return written
