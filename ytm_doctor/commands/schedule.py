"""`ytm-doctor schedule install|remove|status`: a scheduled scan (ytm_doctor/schedule.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    from ytm_doctor import schedule

    schedule.add_arguments(parser)


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor import schedule

    return schedule.schedule_command(config)


COMMAND = Command(
    name="schedule",
    help="install, remove or show a scheduled scan (systemd timer / launchd agent)",
    add_options=add_options,
    run=run,
)
