"""The output file of a report option (--html, --sarif, --junitxml): read from the options, and
checked before the scan starts, so a path that cannot be written costs no scan."""

from __future__ import annotations

from pathlib import Path

from ytm_doctor.commands.options import stdout_format as _stdout_format
from ytm_doctor.errors import UsageError
from ytm_doctor.model import display


def output_path(config, option: str) -> Path | None:
    """The absolute path given to --<option>, or None when the option is not used."""
    value = config.getoption(option)
    return Path(value).absolute() if value else None


def stdout_format(config) -> str:
    """The report stdout carries (text, json, sarif, junit, github, html): --output-format, or
    json for --json. A command without these options gets text."""
    return _stdout_format(config.options)


def check_output_path(config, option: str) -> None:
    """UsageError (exit 4, one line) when --<option> names a directory or a missing directory."""
    value = config.getoption(option)
    if value is None:
        return
    flag = "--" + option
    target = Path(value).absolute()
    if not value or target.is_dir():
        raise UsageError(f"{flag} {display(str(value))} is a directory")
    if not target.parent.is_dir():
        raise UsageError(f"{flag} {display(str(value))}: its directory does not exist")
