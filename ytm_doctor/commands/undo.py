"""`ytm-doctor undo [RUN_ID]`: revert a --run from its journal."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_id", metavar="RUN_ID", nargs="?", help="the run to revert (printed by fix --run)"
    )
    parser.add_argument(
        "--run", action="store_true", help="revert it (default: show what would be reverted)"
    )
    parser.add_argument("--list", action="store_true", help="list the journaled runs")


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.fixing import undo_command

    return undo_command(config, options.run_id, argv)


COMMAND = Command(
    name="undo",
    help="revert a --run from its journal (dry-run; --run to revert)",
    add_options=add_options,
    run=run,
    needs_valid_config=True,
)
