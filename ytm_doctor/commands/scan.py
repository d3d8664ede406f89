"""`ytm-doctor [scan]`: check the workspace and the share (the default command)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command
from ytm_doctor.commands.options import (
    parse_scope,
    scan_output_options,
    scope_options,
    selection_options,
    stdout_format,
)
from ytm_doctor.errors import ExitCode

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.context import Scope
    from ytm_doctor.scan_lock import ScanLock


def add_options(parser: argparse.ArgumentParser) -> None:
    scope_options(parser)
    selection_options(parser)
    scan_output_options(parser)


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    stdout_format(options)  # --json with another --output-format: refused before scanning
    return scan(config, parse_scope(options), argv)


def scan(config: Config, scope: Scope, argv: list[str]) -> int:
    from ytm_doctor.scan_lock import ScanBusy, ScanLock

    if config.getoption("collect_only"):
        return collect_only(config)
    # One saving scan at a time (scan_lock.py); a --no-save scan writes nothing and needs none.
    lock = None if config.getoption("no_save") else ScanLock(config, argv)
    try:
        return _scan_and_report(config, scope, argv, lock)
    except ScanBusy as exc:
        # For a timer "the previous scan is still running" is not a failure: exit 0.
        print(f"ytm-doctor: another scan is running: {exc}; not scanning", file=sys.stderr)
        return ExitCode.OK
    finally:
        if lock is not None:
            lock.release()


def _scan_and_report(config: Config, scope: Scope, argv: list[str], lock: ScanLock | None) -> int:
    from ytm_doctor.reporting import deliver_report
    from ytm_doctor.session import run_scan

    report = run_scan(config, scope, argv, before_walk=lock.acquire if lock else None)
    if not report.outcomes:
        print("ytm-doctor: no checks selected", file=sys.stderr)
    deliver_report(report, config)  # writers, then notifiers; their failures are stderr lines
    return report.exit_code


def collect_only(config: Config) -> int:
    from ytm_doctor.collect import collect_checks
    from ytm_doctor.session import selection_for

    selection = selection_for(config, collect_checks(config))
    for check in selection.selected:
        rule = check.rule
        print(f"<{rule.code} {rule.name} {rule.severity.value} plugin={check.plugin}>")
    print(f"\ncollected {len(selection.selected)} checks ({len(selection.deselected)} deselected)")
    return ExitCode.OK if selection.selected else ExitCode.NO_CHECKS


COMMAND = Command(
    name="scan",
    help="check the workspace and the share (the default command)",
    add_options=add_options,
    run=run,
    needs_valid_config=True,
)
