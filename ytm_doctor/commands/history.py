"""`ytm-doctor history [--json] [--last N]`: the saved reports as a trend, and how long each open
finding has been open."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.saved_reports import whole_number_at_least

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.history import History, ScanPoint

OPEN_SHOWN = 20  # open findings listed in the text output (--json lists them all)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the history as JSON")
    parser.add_argument(
        "--last",
        metavar="N",
        type=whole_number_at_least(1),
        help="list only the newest N scans (how long findings are open still counts them all)",
    )


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.clock import utc_now
    from ytm_doctor.history import read_history
    from ytm_doctor.jsonio import dumps_json

    report_dir = config.paths.report_dir
    try:
        history = read_history(report_dir, last=options.last)
    except OSError as exc:  # the report directory itself cannot be listed
        raise UsageError(f"cannot read the saved reports in {report_dir}: {exc.strerror}") from None
    for line in history.skipped:  # a torn or foreign file costs one line, not the history
        print(f"ytm-doctor: warning: skipped {line}", file=sys.stderr)
    now = history.newest.started if history.newest else utc_now()
    if options.json:
        data = {"report_dir": str(report_dir), **history.to_json(now)}
        sys.stdout.write(dumps_json(data, indent=2) + "\n")
        return ExitCode.OK
    if not history.points:
        print(f"no saved reports in {report_dir} (every scan without --no-save saves one)")
        return ExitCode.OK
    print_history(history, str(report_dir))
    return ExitCode.OK


def print_history(history: History, report_dir: str) -> None:
    shown = len(history.points)
    print(f"{history.scans_read} saved scans in {report_dir}" + _shown(shown, history.scans_read))
    print(f"  {'started (UTC)':<19}  {'viol':>5} {'warn':>5} {'info':>5} {'unkn':>5}  scan")
    for point in history.points:
        print(
            f"  {point.started:%Y-%m-%d %H:%M:%S}  {point.violations:>5} {point.warnings:>5}"
            f" {point.info:>5} {point.unknown:>5}  {describe(point)}"
        )
    trend = history.trend()
    if trend is None:
        print("trend: fewer than two full scans that checked everything")
    else:
        old, new = trend
        print(
            f"trend: violations {old.violations} -> {new.violations}, warnings {old.warnings} -> "
            f"{new.warnings} (between the last two full scans that checked everything, "
            f"{old.started:%Y-%m-%d %H:%M} and {new.started:%Y-%m-%d %H:%M})"
        )
    print_open(history)


def describe(point: ScanPoint) -> str:
    """full / partial, then what it could not check: a drop there is no improvement."""
    kind = "full" if point.full else "partial (some rules or channels)"
    if point.unchecked:
        return f"{kind}, NOT everything checked: {'; '.join(point.unchecked)}"
    return kind


def print_open(history: History) -> None:
    from ytm_doctor.history import format_age

    newest = history.newest
    if newest is None:
        return
    if not history.open:
        print("open findings: none in the last full scan")
        return
    print(f"open findings of the last full scan ({len(history.open)}), longest open first:")
    for f in history.open[:OPEN_SHOWN]:
        age = (">= " if f.at_least else "") + format_age(f.age(newest.started))
        print(
            f"  {age:>9}  since {f.first_seen:%Y-%m-%d %H:%M}  {f.severity:<9} {f.rule}  {f.where}"
            + ("  (unknown: the last scan could not check it)" if f.unknown else "")
        )
    if len(history.open) > OPEN_SHOWN:
        print(f"  ... and {len(history.open) - OPEN_SHOWN} more (--json lists them all)")


def _shown(shown: int, total: int) -> str:
    return f", the newest {shown} shown" if shown < total else ""


COMMAND = Command(
    name="history",
    help="the saved reports as a trend: violations and warnings per scan, "
    "how long findings are open",
    add_options=add_options,
    run=run,
)
