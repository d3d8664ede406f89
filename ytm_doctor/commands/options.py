"""Option groups that several commands share, declared once; and the scope they select.

A command's module adds its own options and calls these for the shared ones; cli.py adds
config_options to every command that is not standalone.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from ytm_doctor.errors import UsageError

if TYPE_CHECKING:
    from ytm_doctor.context import Scope


def config_options(parser: argparse.ArgumentParser) -> None:
    from ytm_doctor.config import CONFIG_ENV, DEFAULT_CONFIG_NAME

    group = parser.add_argument_group("configuration (flag > environment > file > policy)")
    group.add_argument(
        "--config",
        metavar="PATH",
        help=f"config file (default: ${CONFIG_ENV}, else ./{DEFAULT_CONFIG_NAME})",
    )
    group.add_argument("--workspace-root", metavar="DIR", help="the Hot workspace")
    group.add_argument("--share-root", metavar="DIR", help="mount point of the share")
    group.add_argument("--planning-root", metavar="DIR", help="planning source of truth")
    group.add_argument("--namespace", metavar="NAME", help="namespace under uploads/ on the share")
    group.add_argument(
        "--fallback-root", metavar="DIR", help="local outbox while the share is down"
    )
    group.add_argument("--draft-root", metavar="DIR", help="local CapCut draft directory")
    group.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="set any config key, e.g. --set disk.warn_free_gib=200 (repeatable)",
    )
    group.add_argument(
        "-p",
        dest="plugins",
        metavar="NAME",
        action="append",
        default=[],
        help="load a plugin module or .py file; -p no:NAME disables a plugin",
    )


def selection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("selecting checks")
    group.add_argument(
        "--select",
        metavar="CODES",
        action="append",
        help="only rules whose code starts with one of these (comma-separated; "
        "YTM2 = all vault rules)",
    )
    group.add_argument(
        "--ignore",
        metavar="CODES",
        action="append",
        help="skip rules whose code starts with one of these",
    )
    group.add_argument(
        "-k",
        dest="keyword",
        metavar="EXPR",
        help="only rules matching EXPR over names and tags, e.g. 'share and not degraded'",
    )
    group.add_argument(
        "--lf", action="store_true", help="only rules that had findings in the last saved report"
    )


def scope_options(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_argument_group("scope")
    which = scope.add_mutually_exclusive_group()
    which.add_argument("--all-channels", action="store_true", help="every channel (the default)")
    which.add_argument("--channel", metavar="CH", help="only findings of this channel, e.g. CH02")
    scope.add_argument("--video", metavar="NNN", help="with --channel: only this episode")


def override_options(parser: argparse.ArgumentParser) -> None:
    guard = parser.add_argument_group("break-glass (audited)")
    guard.add_argument(
        "--allow-unposted",
        action="store_true",
        help="allow destructive fixes for unposted (Hot/Freeze) episodes; "
        "needs --reason (YTM_EMERGENCY_OVERRIDE=1 does the same)",
    )
    guard.add_argument("--reason", metavar="TEXT", help="why: recorded in the audit log")


def scan_output_options(parser: argparse.ArgumentParser) -> None:
    """What a scan prints and saves, and what makes it fail."""
    out = parser.add_argument_group("output")
    out.add_argument(
        "--collect-only", action="store_true", help="list the checks that would run, run none"
    )
    out.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="every check's outcome, every finding (info included)",
    )
    out.add_argument("-q", "--quiet", action="count", default=0, help="only the summary line")
    out.add_argument(
        "--json",
        action="store_true",
        help="write the JSON report to stdout and nothing else to stdout",
    )
    out.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when violations are found (errors still exit non-zero)",
    )
    out.add_argument(
        "--no-save",
        action="store_true",
        help="do not save the report under <workspace>/logs/ops/ytm_doctor/",
    )
    gate = parser.add_argument_group("baseline and failing (scheduled scans, CI)")
    gate.add_argument(
        "--baseline",
        metavar="FILE",
        help="hide the findings whose fingerprint FILE holds (they are counted under "
        "`baselined` in the JSON report): only new problems fail the scan",
    )
    gate.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="write the fingerprints of every finding of this scan to FILE and accept them",
    )
    gate.add_argument(
        "--fail-on",
        choices=("violation", "warning"),
        default="violation",
        help="the least severe finding that makes the scan exit 1 (default: violation)",
    )


def parse_scope(options: argparse.Namespace) -> Scope:
    """--channel and --video (scope_options, or the store's own) checked and normalised."""
    from ytm_doctor.context import Scope  # the scan's machinery: only once options are parsed

    channel, video = options.channel, options.video
    if video and not channel:
        raise UsageError("--video needs --channel")
    if channel:
        channel = channel.upper()
        if not re.fullmatch(r"CH\d{2}", channel):
            raise UsageError(f"--channel {options.channel}: expected CH followed by two digits")
    if video:
        if not re.fullmatch(r"\d{1,3}", video):
            raise UsageError(f"--video {video}: expected a number of up to three digits")
        video = video.zfill(3)
    return Scope(channel, video)
