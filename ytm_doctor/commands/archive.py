"""`ytm-doctor archive runs`: move old runs to video/_archive (ytm_doctor/runs/command.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("runs",), metavar="runs", help="what to archive: runs")
    scope = parser.add_argument_group("which runs (one of --channel or --all is required)")
    scope.add_argument("--channel", metavar="CH", help="the runs of this channel, e.g. CH02")
    scope.add_argument("--video", metavar="NNN", help="with --channel: only this episode's runs")
    scope.add_argument("--all", action="store_true", help="every run of video/runs")
    scope.add_argument(
        "--unscoped-only",
        action="store_true",
        help="only runs tied to no episode: legacy names (numeric, api_*, CHxx-... without "
        "a matching episode)",
    )
    guards = parser.add_argument_group("guards (these runs are never moved)")
    guards.add_argument(
        "--keep-recent-minutes",
        metavar="M",
        type=int,
        help="runs with anything modified within M minutes (default: "
        "archive.keep_recent_minutes, 1440)",
    )
    guards.add_argument(
        "--keep-last-runs",
        metavar="N",
        type=int,
        help="the newest N runs of each episode (default: archive.keep_last_runs, 2); "
        "also never: the adopted run, a run holding a .keep file",
    )
    running = parser.add_argument_group("running")
    running.add_argument(
        "--run",
        action="store_true",
        help="move them (default: print what would move and what is kept, change nothing)",
    )
    running.add_argument("--json", action="store_true", help="the report or results as JSON")


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.runs.command import archive_command

    return archive_command(config, options, argv)


COMMAND = Command(
    name="archive",
    help="move old video runs to video/_archive, guarded (dry-run; --run to move)",
    add_options=add_options,
    run=run,
    loads_plugins=False,
    needs_valid_config=True,
)
