"""`ytm-doctor explain CODE`: a rule's page."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ytm_doctor import ssot_files
from ytm_doctor.commands.base import Command
from ytm_doctor.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", metavar="CODE", help="a rule code, e.g. YTM301")


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    return explain(config, options.code)


def explain(config: Config, code: str) -> int:
    sys.stdout.write(page_text(config, code))
    return ExitCode.OK


def page_text(config: Config, code: str) -> str:
    """The page of rule `code` (any case) among the collected rules; UsageError when none."""
    from ytm_doctor.collect import collect_checks

    code = code.upper()
    checks = {c.rule.code: c for c in collect_checks(config)}
    if code not in checks:
        raise UsageError(f"unknown rule {code} (`ytm-doctor list` shows every rule)")
    return ssot_files.page_for(checks[code].rule)


COMMAND = Command(
    name="explain",
    help="print a rule's page: what it finds, why it matters, how to fix it",
    add_options=add_options,
    run=run,
)
