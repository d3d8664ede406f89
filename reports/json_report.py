"""The JSON report: on stdout with --json (nothing else goes there), and saved after every scan
as report__<stamp>.json plus latest.json under <workspace>/logs/ops/ytm_doctor/ (atomically)."""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING

from ytm_doctor.atomic import atomic_writer
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.reports.output_path import stdout_format
from ytm_doctor.saved_reports import SavedReport, saved_report_for

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.report import Report


class JsonStdoutWriter:
    name = "json-stdout"

    def write(self, report: Report, config: Config) -> None:
        report.write_json(sys.stdout)
        sys.stdout.flush()


class SavedReportWriter:
    """Keeps the history that --lf, new/resolved and the HTML report read."""

    name = "json-saved"

    def write(self, report: Report, config: Config, saved: SavedReport | None = None) -> None:
        """Save the report where `saved` says (worked out here when not given)."""
        if saved is None:
            saved = saved_report_for(report, config)
        if saved is None:
            return  # --no-save, or an empty selection: it must not replace the history
        saved.directory.mkdir(parents=True, exist_ok=True)
        with atomic_writer(saved.json) as fh:
            report.write_json(fh)
        if saved.latest:
            # latest.json is the last FULL scan: what --lf and new/resolved compare against, so
            # a --select or --channel scan must not make the other rules' findings vanish.
            with atomic_writer(saved.latest_json) as fh, open(saved.json, encoding="utf-8") as src:
                shutil.copyfileobj(src, fh)
        report.saved_to = saved.json


@hookimpl
def ytm_doctor_write_report(report: Report, config: Config, saved: SavedReport | None) -> None:
    try:
        if stdout_format(config) == "json":
            JsonStdoutWriter().write(report, config)
    finally:
        # Saved even when stdout failed (a closed pipe): the history must not depend on it.
        if saved is not None:
            SavedReportWriter().write(report, config, saved)
