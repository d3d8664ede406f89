"""The `ytm-doctor` command line: parsing, plugin loading order, exit codes (SPEC §7).

`ytm-doctor [scan options]` scans (the default command); `ytm-doctor COMMAND --help` documents
each of the others. Bad input is one line on stderr and exit 4, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from ytm_doctor import __version__
from ytm_doctor.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_NAME,
    find_config_file,
    load_config,
    read_config_file,
)
from ytm_doctor.context import Scope
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.plugins.manager import PluginLoadError, make_plugin_manager

PROG = "ytm-doctor"
DEBUG_ENV = "YTM_DOCTOR_DEBUG"

COMMANDS = {
    "scan": "check the workspace and the share (the default command)",
    "fix": "plan the fixes of the findings (dry-run); apply them with --run",
    "apply": "apply a plan saved with `fix --plan-out`, refusing stale actions",
    "undo": "revert a --run from its journal (dry-run; --run to revert)",
    "list": "list the rules of every loaded plugin",
    "explain": "print a rule's page: what it finds, why it matters, how to fix it",
    "config": "print every resolved setting and where it came from",
    "demo": "build a sample factory to try ytm-doctor on",
    "schedule": "install, remove or show a scheduled scan (systemd timer / launchd agent)",
    "mirror": "mirror the Hot workspace to the Vault with rsync (dry-run; --run to mirror)",
    "store": "copy final artifacts to the shared store, verified (dry-run; --run to store)",
}
# Commands that need no configuration at all.
STANDALONE = {"demo"}
# store and mirror build their plan straight from their arguments; no plugin hook concerns
# them, so they skip loading plugin modules (they run often and are timed against cp and
# rsync: SPEC §9).
# Commands that need a usable workspace (the others only read the rule catalogue).
NEED_VALID_CONFIG = {"scan", "fix", "apply", "undo", "store"}

EPILOG = """commands:
{commands}

Run `ytm-doctor COMMAND --help` for a command's options.
Configuration: --config PATH, else ${env}, else ./{name} (see `ytm-doctor config`).
Exit codes: 0 no violations, 1 violations (or a check errored), 2 interrupted,
3 internal error, 4 usage or configuration error, 5 no checks selected."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is our exit 4 with one line, not argparse's exit 2."""

    def error(self, message: str) -> NoReturn:
        # main() prefixes "ytm-doctor: error:"; name the subcommand, not the program again.
        command = self.prog[len(PROG) :].strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _common_options() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    group = common.add_argument_group("configuration (flag > environment > file > policy)")
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
    return common


def _selection_options(parser: argparse.ArgumentParser) -> None:
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


def _scope_options(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_argument_group("scope")
    which = scope.add_mutually_exclusive_group()
    which.add_argument("--all-channels", action="store_true", help="every channel (the default)")
    which.add_argument("--channel", metavar="CH", help="only findings of this channel, e.g. CH02")
    scope.add_argument("--video", metavar="NNN", help="with --channel: only this episode")


def _override_options(parser: argparse.ArgumentParser) -> None:
    guard = parser.add_argument_group("break-glass (audited)")
    guard.add_argument(
        "--allow-unposted",
        action="store_true",
        help="allow destructive fixes for unposted (Hot/Freeze) episodes; "
        "needs --reason (YTM_EMERGENCY_OVERRIDE=1 does the same)",
    )
    guard.add_argument("--reason", metavar="TEXT", help="why: recorded in the audit log")


def _scan_options(parser: argparse.ArgumentParser) -> None:
    _scope_options(parser)
    _selection_options(parser)
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


def build_parser(command: str, pm=None) -> Parser:
    common = _common_options()
    if command == "scan":
        parser = Parser(
            prog=PROG,
            parents=[common],
            description="A pytest-style doctor for the Hot workspace and the Vault share. "
            "Without a command: scan.",
            epilog=EPILOG.format(
                commands="\n".join(f"  {n:<9} {h}" for n, h in COMMANDS.items()),
                env=CONFIG_ENV,
                name=DEFAULT_CONFIG_NAME,
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
        _scan_options(parser)
        if pm is not None:
            pm.hook.ytm_doctor_addoption.call_historic(kwargs={"parser": parser})
        return parser

    parser = Parser(
        prog=f"{PROG} {command}",
        parents=[] if command in STANDALONE else [common],
        description=COMMANDS[command],
    )
    if command == "list":
        _selection_options(parser)
        parser.add_argument("--json", action="store_true", help="the catalogue as JSON")
        parser.add_argument(
            "--plugins",
            dest="plugins_list",
            action="store_true",
            help="list the loaded plugins instead, with where each came from",
        )
    elif command == "fix":
        _scope_options(parser)
        _selection_options(parser)
        group = parser.add_argument_group("fixing")
        group.add_argument(
            "--fingerprint",
            metavar="FP",
            action="append",
            help="only the finding with this fingerprint (repeatable)",
        )
        group.add_argument(
            "--run",
            action="store_true",
            help="apply the plan (default: print it and change nothing)",
        )
        group.add_argument(
            "--plan-out", metavar="FILE", help="save the plan, for `ytm-doctor apply FILE --run`"
        )
        group.add_argument(
            "--draft-dir",
            metavar="DIR",
            help="relink-draft: the CapCut draft to link when there is not exactly one candidate",
        )
        group.add_argument("--json", action="store_true", help="the plan or results as JSON")
        _override_options(parser)
    elif command == "apply":
        parser.add_argument("plan_file", metavar="FILE", help="a plan saved by fix --plan-out")
        parser.add_argument(
            "--run",
            action="store_true",
            help="apply it (default: show what would be applied or refused)",
        )
        parser.add_argument("--json", action="store_true", help="results as JSON")
        _override_options(parser)
    elif command == "undo":
        parser.add_argument(
            "run_id", metavar="RUN_ID", nargs="?", help="the run to revert (printed by fix --run)"
        )
        parser.add_argument(
            "--run", action="store_true", help="revert it (default: show what would be reverted)"
        )
        parser.add_argument("--list", action="store_true", help="list the journaled runs")
    elif command == "explain":
        parser.add_argument("code", metavar="CODE", help="a rule code, e.g. YTM301")
    elif command == "config":
        parser.add_argument(
            "--diff",
            action="store_true",
            help="only the settings that differ from the policy defaults",
        )
        parser.add_argument("--json", action="store_true", help="as JSON")
    elif command == "mirror":
        group = parser.add_argument_group("mirror (SPEC §6.3)")
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
        group.add_argument("--json", action="store_true", help="the run log as JSON on stdout")
    elif command == "schedule":
        from ytm_doctor import schedule

        schedule.add_arguments(parser)
    elif command == "store":
        from ytm_doctor.store.command import add_options

        add_options(parser)
        _override_options(parser)
    elif command == "demo":
        parser.add_argument(
            "--dest",
            metavar="DIR",
            default="ytm-doctor-demo",
            help="where to build it (default: ./ytm-doctor-demo); an earlier "
            "demo there is replaced, any other non-empty directory refused",
        )
    return parser


def _preparse(argv: list[str]) -> tuple[list[str], list[str], Path | None]:
    """-p and the config file's plugins: they must load before the full parser exists."""
    pre = Parser(add_help=False)
    pre.add_argument("--config")
    pre.add_argument("-p", dest="plugins", action="append", default=[])
    known, _ = pre.parse_known_args(argv)
    config_file = find_config_file(known, os.environ)
    config_plugins: list[str] = []
    if config_file:
        raw = read_config_file(config_file).get("plugins") or []
        if not isinstance(raw, list):
            raise UsageError(f"{config_file}: plugins must be a list")
        config_plugins = [str(p) for p in raw]
    return known.plugins, config_plugins, config_file


def parse_scope(options: argparse.Namespace) -> Scope:
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


def _value_options() -> set[str]:
    """Every option string, of any command, that takes a value."""
    found: set[str] = set()
    for command in COMMANDS:
        for action in build_parser(command)._actions:
            if action.nargs != 0 and action.option_strings:
                found.update(action.option_strings)
    return found


def split_command(argv: list[str]) -> tuple[str, list[str]]:
    """The command (first bare word naming one, options may come before it) and the rest."""
    if argv and argv[0] in COMMANDS:
        return argv[0], argv[1:]  # the common case, without building every parser
    value_options = _value_options()
    skip = False
    for i, token in enumerate(argv):
        if skip:
            skip = False
            continue
        if token == "--":
            break
        if token in value_options:
            skip = True  # its value is never the command's name (-k list, --channel fix)
            continue
        if token.startswith("-"):
            continue
        if token in COMMANDS:
            return token, argv[:i] + argv[i + 1 :]
        break
    return "scan", list(argv)


def run(argv: list[str]) -> int:
    command, rest = split_command(argv)
    if command == "store":
        from ytm_doctor.store.command import store_command

        options = build_parser(command).parse_args(rest)
        return store_command(load_config(options), options, argv)
    if command == "mirror":
        from ytm_doctor.mirror.command import mirror_command

        options = build_parser(command).parse_args(rest)
        return mirror_command(load_config(options), argv)
    # Imported here, not at the top: the mirror above needs none of them (SPEC §9's 5 %).
    from ytm_doctor import commands, fixing, schedule

    if command in STANDALONE:
        return commands.demo(build_parser(command).parse_args(rest))

    wants_help = any(a in ("-h", "--help") for a in rest)
    try:
        requested, config_plugins, config_file = _preparse(rest)
    except UsageError:
        if not wants_help:
            raise
        requested, config_plugins, config_file = [], [], None  # help must work with a bad config
    pm = make_plugin_manager(
        requested=requested,
        config_plugins=config_plugins,
        config_dir=config_file.parent if config_file else None,
    )
    parser = build_parser(command, pm)
    options = parser.parse_args(rest)  # exits on --help before the config must be valid
    config = load_config(options, validate=command in NEED_VALID_CONFIG)
    config.pluginmanager = pm
    pm.hook.ytm_doctor_configure.call_historic(kwargs={"config": config})

    if command == "scan":
        return commands.scan(config, parse_scope(options), argv)
    if command == "fix":
        return fixing.fix_command(config, parse_scope(options), argv)
    if command == "apply":
        return fixing.apply_command(config, options.plan_file, argv)
    if command == "undo":
        return fixing.undo_command(config, options.run_id, argv)
    if command == "schedule":
        return schedule.schedule_command(config)
    if command == "list":
        return commands.list_rules(config)
    if command == "explain":
        return commands.explain(config, options.code)
    return commands.show_config(config)


def _reconfigure_streams() -> None:
    # Never die on a name the terminal cannot encode (LANG=C, non-UTF-8 bytes).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _reconfigure_streams()
    try:
        return int(run(argv))
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say, nowhere to say it.
        sys.stderr.close()
        return ExitCode.OK
    except PluginLoadError as exc:
        print(f"{PROG}: internal error: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} "
            f"(set {DEBUG_ENV}=1 for the traceback)",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
