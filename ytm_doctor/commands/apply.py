"""`ytm-doctor apply FILE`: apply a plan saved by `fix --plan-out`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command
from ytm_doctor.commands.options import override_options

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan_file", metavar="FILE", help="a plan saved by fix --plan-out")
    parser.add_argument(
        "--run",
        action="store_true",
        help="apply it (default: show what would be applied or refused)",
    )
    parser.add_argument("--json", action="store_true", help="results as JSON")
    override_options(parser)


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.fixing import apply_command

    return apply_command(config, options.plan_file, argv)


COMMAND = Command(
    name="apply",
    help="apply a plan saved with `fix --plan-out`, refusing stale actions",
    add_options=add_options,
    run=run,
    needs_valid_config=True,
)
