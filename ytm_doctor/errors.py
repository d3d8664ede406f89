"""Exit codes (as pytest's) and the one error type that becomes a clean one-line exit."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # no violations
    VIOLATIONS = 1  # violations found (or a check errored)
    INTERRUPTED = 2  # interrupted by the user
    INTERNAL_ERROR = 3  # a bug in ytm-doctor or a plugin
    USAGE_ERROR = 4  # bad command line or configuration
    NO_CHECKS = 5  # the selection left no checks to run


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit 4, never a traceback."""


class ConfigError(UsageError):
    """The configuration cannot be used as given."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager or `kill` stopping the run), raised in the main thread so it
    unwinds like Ctrl-C: fixes rolled back, locks released, exit 2."""


class PluginLoadError(Exception):
    """A plugin was found but raised while importing (exit 3, as pytest)."""
