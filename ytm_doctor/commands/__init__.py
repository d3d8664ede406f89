"""The registry of `ytm-doctor` commands: one module per command, listed once below.

Adding a command is one new module here (defining `COMMAND = Command(...)`, see base.py) and
one line in COMMANDS. A command's module is imported only when that command runs or a parser
needs it (help, an option before the command's name), so `ytm-doctor mirror` does not import
the scan's machinery; a handler imports the heavy modules it needs inside its function.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ytm_doctor.commands.base import Command

# The module names under ytm_doctor.commands, which are the command names, in the order
# `ytm-doctor --help` lists them.
COMMANDS = (
    "scan",
    "fix",
    "apply",
    "undo",
    "list",
    "explain",
    "history",
    "config",
    "status",
    "fleet",
    "demo",
    "schedule",
    "mirror",
    "store",
    "reclaim",
    "archive",
    "restore",
    "mcp",
)
DEFAULT = "scan"  # what `ytm-doctor [options]` runs without a command name


def load(name: str) -> Command:
    """The command `name` of COMMANDS, from its module."""
    command = importlib.import_module(f"{__name__}.{name}").COMMAND
    if command.name != name:
        raise ValueError(f"ytm_doctor/commands/{name}.py declares the command {command.name!r}")
    return command
