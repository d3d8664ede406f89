"""The JSON report: on stdout with --json (nothing else goes there), and saved after every scan
as report__<stamp>.json plus latest.json under <workspace>/logs/ops/ytm_doctor/ (atomically)."""

from __future__ import annotations

import shutil
import sys

from ytm_doctor.atomic import atomic_writer
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.report import LATEST_NAME, REPORT_PREFIX


class JsonStdoutWriter:
    name = "json-stdout"

    def write(self, report, config) -> None:
        report.write_json(sys.stdout)
        sys.stdout.flush()


class SavedReportWriter:
    """Keeps the history that --lf, new/resolved and the HTML report read."""

    name = "json-saved"

    def write(self, report, config) -> None:
        if not report.outcomes:
            return  # an empty selection must not replace the history --lf reads
        report_dir = config.paths.report_dir
        report_dir.mkdir(parents=True, exist_ok=True)
        path = report_dir / f"{REPORT_PREFIX}{report.run.stamp}.json"
        if path.exists():  # two scans in one second: keep both
            path = report_dir / f"{REPORT_PREFIX}{report.run.stamp}__{report.run.id[-6:]}.json"
        with atomic_writer(path) as fh:
            report.write_json(fh)
        if report.full_scan:
            # latest.json is the last FULL scan: what --lf and new/resolved compare against, so
            # a --select or --channel scan must not make the other rules' findings vanish.
            with atomic_writer(report_dir / LATEST_NAME) as fh, open(path, encoding="utf-8") as src:
                shutil.copyfileobj(src, fh)
        report.saved_to = path


@hookimpl
def ytm_doctor_collect_writers(config):
    writers = []
    if config.getoption("json"):
        writers.append(JsonStdoutWriter())
    if not config.getoption("no_save"):
        writers.append(SavedReportWriter())
    return writers
