"""`ytm-doctor mirror`: the Hot workspace to the Vault with rsync (ytm_doctor/mirror/command.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("mirroring")
    group.add_argument(
        "--run",
        action="store_true",
        help="mirror now (default: rsync --dry-run, itemized changes summarised)",
    )
    group.add_argument(
        "--no-delete",
        action="store_true",
        help="copy only: delete nothing on the Vault (default: delete-sync, which needs a "
        "valid Vault sentinel)",
    )
    group.add_argument(
        "--bootstrap-dest",
        action="store_true",
        help="first write the Vault sentinel when it is missing or unreadable "
        "(never over another namespace's)",
    )
    group.add_argument(
        "--ensure-dirs",
        action="store_true",
        help="first create ytm_workspaces/ and the required Vault dirs (vault.required_dirs)",
    )
    group.add_argument(
        "--if-share-up",
        action="store_true",
        help="for scheduled runs: while the share is down (a stub, not mounted), say so in one "
        "line and exit 0 instead of refusing; nothing is written",
    )
    group.add_argument("--json", action="store_true", help="the run log as JSON on stdout")


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.mirror.command import mirror_command

    return mirror_command(config, argv)


COMMAND = Command(
    name="mirror",
    help="mirror the Hot workspace to the Vault with rsync (dry-run; --run to mirror)",
    add_options=add_options,
    run=run,
    loads_plugins=False,
    needs_valid_config=True,
)
