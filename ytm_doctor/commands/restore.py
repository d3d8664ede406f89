"""`ytm-doctor restore runs`: archived runs back to video/runs (ytm_doctor/runs/command.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("runs",), metavar="runs", help="what to restore: runs")
    group = parser.add_argument_group("restoring")
    group.add_argument(
        "--report",
        metavar="FILE",
        help="the archive's report: video/_archive/<stamp>/archive_report.json (required)",
    )
    group.add_argument("--only-run-id", metavar="RUN", help="only this run of the report")
    group.add_argument(
        "--run",
        action="store_true",
        help="move them back (default: print what would move back, change nothing)",
    )
    group.add_argument("--json", action="store_true", help="the report or results as JSON")


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.runs.command import restore_command

    return restore_command(config, options, argv)


COMMAND = Command(
    name="restore",
    help="move archived video runs back by their archive report (dry-run; --run to move)",
    add_options=add_options,
    run=run,
    loads_plugins=False,
    needs_valid_config=True,
)
