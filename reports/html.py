"""The HTML report for people: one self-contained file (inline CSS, JS and SVG; no request of
any kind leaves it), saved next to every saved JSON report (report__<stamp>.html, and
latest.html beside latest.json) and written to `--html PATH`.

The page shows the summary, a chart by rule and by channel, a sortable and filterable findings
table (rendered in chunks by a small script from a JSON data block, so 50,000 findings stay
fast), the rule pages of the rules present, the run's configuration and its errors. Everything
from disk is escaped twice over: Jinja autoescapes the markup, the script only sets textContent,
and the Content-Security-Policy lets no script run but the report's own (pinned by hash).
This module is the plugin (where pages go); the page itself is ytm_doctor/reports/html_page.py,
imported only when one is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.atomic import write_atomic
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.reports.output_path import check_output_path, stdout_format
from ytm_doctor.saved_reports import LATEST_HTML as LATEST_HTML  # kept importable from here

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.history import History
    from ytm_doctor.report import Report
    from ytm_doctor.saved_reports import SavedReport


class HtmlWriter:
    """Renders the page once and writes it where this scan wants it: beside the saved JSON
    report (report__<stamp>.html, and latest.html for a full scan), to `--html PATH`
    whatever `--no-save` says, and to stdout with `--output-format html`."""

    name = "html"

    def __init__(
        self,
        *,
        saved: SavedReport | None,
        path: Path | None,
        history: History | None = None,
        stdout: bool = False,
    ) -> None:
        self.saved = saved
        self.path = path
        self.history = history
        self.stdout = stdout  # --output-format html: the page on stdout too

    def targets(self) -> list[Path]:
        targets = []
        # `saved` is None when the scan saves nothing (--no-save, an empty selection).
        if self.saved is not None:
            targets.append(self.saved.html)
            if self.saved.latest:
                targets.append(self.saved.latest_html)
        if self.path is not None:
            targets.append(self.path)
        return targets

    def write(self, report: Report, config: Config) -> None:
        targets = self.targets()
        if not targets and not self.stdout:
            return
        from ytm_doctor.reports.html_page import encode_html, render_html

        data = encode_html(render_html(report, history=self.history))
        failed = []
        for target in targets:  # one unwritable place must not cost the others their copy
            try:
                write_atomic(target, data)
            except OSError as exc:
                failed.append(f"{target}: {exc.strerror or exc}")
        if self.stdout:
            # After the files, so a closed pipe costs no saved copy. The same page as they
            # hold: `ytm-doctor --output-format html > report.html`.
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        if failed:
            raise OSError("; ".join(failed))


@hookimpl
def ytm_doctor_addoption(parser):
    group = parser.add_argument_group("HTML report")
    group.add_argument(
        "--html",
        metavar="PATH",
        dest="html",
        help="also write the self-contained HTML report to PATH "
        "(saved scans always get one next to their JSON report)",
    )


@hookimpl
def ytm_doctor_configure(config):
    check_output_path(config, "html")


@hookimpl
def ytm_doctor_write_report(report: Report, config: Config, saved: SavedReport | None) -> None:
    path = config.getoption("html")
    writer = HtmlWriter(
        saved=saved, path=Path(path) if path else None, stdout=stdout_format(config) == "html"
    )
    if writer.targets() or writer.stdout:
        writer.history = history_for(report, config, saved)
    writer.write(report, config)


def history_for(report: Report, config: Config, saved: SavedReport | None) -> History | None:
    """The saved reports with this scan last (the engine reads them). A report directory that
    cannot be listed costs the page its trend, never the page. The history module is imported
    only by a scan that writes a page."""
    from ytm_doctor.history import read_history
    from ytm_doctor.reports.html_page import TREND_POINTS

    try:
        return read_history(
            config.paths.report_dir,
            current=report,
            saved_as=saved.json if saved else None,
            newest=TREND_POINTS,  # every scan writes this page: read no more than it shows
        )
    except OSError:
        return None
