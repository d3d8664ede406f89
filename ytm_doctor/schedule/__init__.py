"""Scheduled scans: a systemd user timer on Linux, a launchd agent on macOS.

`ytm-doctor schedule install --every 10m` prints the files it would write and the commands it
would run, and changes nothing; with `--run` it writes them atomically and enables them.
`schedule remove [--run]` disables them and sets the files aside (never deletes them);
`schedule status` shows what is installed and what systemctl/launchctl says about it.

The scheduled command is this very installation of ytm-doctor, with absolute paths only (a timer
has no working directory and no shell profile): the config file, the settings given on this
command line (as --set) or in the environment (as environment variables), `-q`, and the
retention/publish options. Secrets (the webhook URL) are never copied into these files: put
them in the config file.

jobs: what runs and how often; units: the systemd and launchd files; hosts: where they go and
the tool that enables them; command: the options and the install/remove/status actions.
"""

from __future__ import annotations

from ytm_doctor.schedule.command import add_arguments, schedule_command
from ytm_doctor.schedule.jobs import (
    LABEL,
    PLIST,
    PREVIOUS_DIR,
    SERVICE,
    TIMER,
    format_interval,
    parse_interval,
)
from ytm_doctor.schedule.units import read_unit

__all__ = [
    "LABEL",
    "PLIST",
    "PREVIOUS_DIR",
    "SERVICE",
    "TIMER",
    "add_arguments",
    "format_interval",
    "parse_interval",
    "read_unit",
    "schedule_command",
]
