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

# The public names, imported on first use (PEP 562): a scan imports schedule.jobs (the mirror
# checks read its records), and the package must not drag in the command, its hosts and units.
TYPE_CHECKING = False

_LAZY = {
    "add_arguments": "ytm_doctor.schedule.command",
    "schedule_command": "ytm_doctor.schedule.command",
    "LABEL": "ytm_doctor.schedule.jobs",
    "PLIST": "ytm_doctor.schedule.jobs",
    "PREVIOUS_DIR": "ytm_doctor.schedule.jobs",
    "SERVICE": "ytm_doctor.schedule.jobs",
    "TIMER": "ytm_doctor.schedule.jobs",
    "format_interval": "ytm_doctor.schedule.jobs",
    "parse_interval": "ytm_doctor.schedule.jobs",
    "read_unit": "ytm_doctor.schedule.units",
}

if TYPE_CHECKING:
    from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:  # a submodule or a typo
        raise AttributeError(f"module 'ytm_doctor.schedule' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
