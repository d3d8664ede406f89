"""`ytm-doctor fix`: plan the fixes of the findings (dry-run); apply them with --run."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command
from ytm_doctor.commands.options import (
    override_options,
    parse_scope,
    scope_options,
    selection_options,
)

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    scope_options(parser)
    selection_options(parser)
    group = parser.add_argument_group("fixing")
    group.add_argument(
        "--fingerprint",
        metavar="FP",
        action="append",
        help="only the finding with this fingerprint (repeatable)",
    )
    group.add_argument(
        "--run",
        action="store_true",
        help="apply the plan (default: print it and change nothing)",
    )
    group.add_argument(
        "--plan-out", metavar="FILE", help="save the plan, for `ytm-doctor apply FILE --run`"
    )
    group.add_argument(
        "--draft-dir",
        metavar="DIR",
        help="relink-draft: the CapCut draft to link when there is not exactly one candidate",
    )
    group.add_argument("--json", action="store_true", help="the plan or results as JSON")
    override_options(parser)


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.fixing import fix_command

    return fix_command(config, parse_scope(options), argv)


COMMAND = Command(
    name="fix",
    help="plan the fixes of the findings (dry-run); apply them with --run",
    add_options=add_options,
    run=run,
    needs_valid_config=True,
)
