"""`ytm-doctor reclaim`: free the local space of published episodes (ytm_doctor/reclaim/)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_argument_group("which episodes (published ones only)")
    scope.add_argument("--channel", metavar="CH", help="only this channel, e.g. CH02")
    scope.add_argument("--video", metavar="NNN", help="with --channel: only this episode")
    running = parser.add_argument_group("running")
    running.add_argument(
        "--run",
        action="store_true",
        help="release the files listed as `release` (default: list them, change nothing)",
    )
    running.add_argument("--json", action="store_true", help="the survey or results as JSON")


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.reclaim.command import reclaim_command

    return reclaim_command(config, options, argv)


COMMAND = Command(
    name="reclaim",
    help="free local space of published episodes against their verified stored copies "
    "(dry-run; --run to release)",
    add_options=add_options,
    run=run,
    loads_plugins=False,
    needs_valid_config=True,
)
