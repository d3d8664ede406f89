"""What a command declares: its name, its help line, its options and its handler.

cli.py reads these fields instead of knowing any command by name; each module under
ytm_doctor/commands/ defines one `COMMAND = Command(...)`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ytm_doctor.config import Config

# handler(config, options, argv) -> exit code. argv is the whole command line (reports and
# journals record it); config is None only for a standalone command.
Handler = Callable[["Config | None", argparse.Namespace, list[str]], int]


def no_options(parser: argparse.ArgumentParser) -> None:
    """For a command that takes only the configuration options."""


@dataclass(frozen=True)
class Command:
    name: str
    help: str  # one line: the command's description and its line in `ytm-doctor --help`
    add_options: Callable[[argparse.ArgumentParser], None]
    run: Handler
    # store and mirror build their plan straight from their arguments and no plugin hook
    # concerns them, so they skip loading plugin modules: they run often and are timed
    # against cp and rsync.
    loads_plugins: bool = True
    # Resolve the configuration with validation (a usable workspace); the others only read
    # the rule catalogue or print the settings, so they must work with a broken config.
    needs_valid_config: bool = False
    # Needs no configuration at all: no configuration options, no config, no plugins (demo).
    standalone: bool = False

    def __post_init__(self) -> None:
        if self.standalone and (self.loads_plugins or self.needs_valid_config):
            raise ValueError(f"{self.name}: a standalone command loads no plugins and no config")
