"""The `ytm-doctor` command line: parsing, plugin loading order, exit codes (SPEC §7).

`ytm-doctor [scan options]` scans (the default command); `ytm-doctor COMMAND --help` documents
each of the others. Bad input is one line on stderr and exit 4, never a traceback.
The commands themselves (options, handler, whether they load plugins) are the modules of
ytm_doctor/commands/, listed in its registry; this module knows none of them by name.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from ytm_doctor import __version__, commands
from ytm_doctor.errors import ExitCode, PluginLoadError, Terminated, UsageError

# The configuration (yaml), the plugin manager (pluggy, every built-in plugin) and the shared
# options (the scan's context) are imported where they are first needed: `--version`, `--help`
# and the commands that load no plugins start without them.
if TYPE_CHECKING:
    import pluggy

    from ytm_doctor.commands.base import Command
    from ytm_doctor.config import Config

PROG = "ytm-doctor"
DEBUG_ENV = "YTM_DOCTOR_DEBUG"

EPILOG = """commands:
{commands}

Run `ytm-doctor COMMAND --help` for a command's options.
Configuration: --config PATH, else ${env}, else the nearest {name} in the current
directory or a parent (not above $HOME; see `ytm-doctor config`).
Exit codes: 0 no violations, 1 violations (or a check errored), 2 interrupted
(Ctrl-C, SIGTERM), 3 internal error, 4 usage or configuration error, 5 no checks selected."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is our exit 4 with one line, not argparse's exit 2."""

    def error(self, message: str) -> NoReturn:
        # main() prefixes "ytm-doctor: error:"; name the subcommand, not the program again.
        command = self.prog[len(PROG) :].strip()
        raise UsageError(f"{command}: {message}" if command else message)


class ProgramParser(Parser):
    """The program's own parser, whose help lists every command with its one-line help. That
    list imports every command's module, so it is made only when the help is shown: a scan
    needs none of the other commands."""

    def format_help(self) -> str:
        from ytm_doctor.config import CONFIG_ENV, DEFAULT_CONFIG_NAME

        if self.epilog is None:
            width = max(len(name) for name in commands.COMMANDS)  # the column of names
            listed = "\n".join(
                f"  {name:<{width}}  {commands.load(name).help}" for name in commands.COMMANDS
            )
            self.epilog = EPILOG.format(commands=listed, env=CONFIG_ENV, name=DEFAULT_CONFIG_NAME)
        return super().format_help()


def build_parser(command: Command, pm: pluggy.PluginManager | None = None) -> Parser:
    """The parser of `command`; the default command's is the program's own (`ytm-doctor
    --help`): it lists every command, has --version and takes the plugins' options."""
    from ytm_doctor.commands.options import config_options

    if command.name == commands.DEFAULT:
        parser = ProgramParser(
            prog=PROG,
            description="A pytest-style doctor for the Hot workspace and the Vault share. "
            "Without a command: scan.",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        config_options(parser)
        parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
        command.add_options(parser)
        if pm is not None:
            pm.hook.ytm_doctor_addoption.call_historic(kwargs={"parser": parser})
        return parser

    parser = Parser(prog=f"{PROG} {command.name}", description=command.help)
    if not command.standalone:
        config_options(parser)
    command.add_options(parser)
    return parser


def _preparse(argv: list[str]) -> tuple[list[str], list[str], Path | None]:
    """-p and the config file's plugins: they must load before the full parser exists."""
    from ytm_doctor.config import find_config_file, read_config_file

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


def _value_options() -> set[str]:
    """Every option string, of any command, that takes a value."""
    found: set[str] = set()
    for name in commands.COMMANDS:
        for action in build_parser(commands.load(name))._actions:
            if action.nargs != 0 and action.option_strings:
                found.update(action.option_strings)
    return found


def _config_options() -> tuple[set[str], set[str]]:
    """The shared configuration options (every option string, and those that take a value):
    what usually comes before a command's name (`ytm-doctor --config F mirror --run`)."""
    from ytm_doctor.commands.options import config_options

    parser = argparse.ArgumentParser(add_help=False)
    config_options(parser)
    known: set[str] = set()
    values: set[str] = set()
    for action in parser._actions:
        known.update(action.option_strings)
        if action.nargs != 0:
            values.update(action.option_strings)
    return known, values


def _command_after_config_options(argv: list[str]) -> tuple[str, list[str]] | None:
    """The command when only configuration options (spelled out) come before its name; None
    when some other option does, and every command's parser must be asked which take values.
    Building those parsers imports every command's module: a tenth of a second that a
    scheduled `ytm-doctor --config F mirror --run` need not pay."""
    known, values = _config_options()
    skip = False
    for i, token in enumerate(argv):
        if skip:
            skip = False
        elif token in values:
            skip = True  # its value is never the command's name (--config fix)
        elif token.startswith("-"):
            if token == "--" or token.split("=", 1)[0] not in known:
                return None  # another option, an abbreviation or the end of options
        elif token in commands.COMMANDS:
            return token, argv[:i] + argv[i + 1 :]
        else:
            return None  # a bare word that names no command
    return None


def split_command(argv: list[str]) -> tuple[str, list[str]]:
    """The command (first bare word naming one, options may come before it) and the rest."""
    if argv and argv[0] in commands.COMMANDS:
        return argv[0], argv[1:]  # the common case, without building every parser
    words = argv[: argv.index("--")] if "--" in argv else argv
    if not any(token in commands.COMMANDS for token in words):
        return commands.DEFAULT, list(argv)  # no word names a command: again no parser needed
    found = _command_after_config_options(argv)
    if found is not None:
        return found
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
        if token in commands.COMMANDS:
            return token, argv[:i] + argv[i + 1 :]
        break
    return commands.DEFAULT, list(argv)


def _asks_version(name: str, rest: list[str]) -> bool:
    """`--version` of the program (the default command's option), without -h/--help: answered
    before any configuration or plugin is read, so it works (and is quick) anywhere."""
    words = rest[: rest.index("--")] if "--" in rest else rest
    return (
        name == commands.DEFAULT
        and "--version" in words
        and not any(word in ("-h", "--help") for word in words)
    )


class Prepared(NamedTuple):
    """A command line made ready to run: the command, its configuration (None for a standalone
    command), its parsed options and the argv it records (redacted). A NamedTuple, not a
    dataclass: the dataclasses module costs `--version` more than everything else it does."""

    command: Command
    config: Config | None
    options: argparse.Namespace
    argv: list[str]

    def run(self) -> int:
        return self.command.run(self.config, self.options, self.argv)


def prepare(argv: list[str]) -> Prepared:
    """Parse `argv`, load the plugins and the configuration the way `ytm-doctor ARGV` does;
    run nothing. The MCP server prepares each tool call through here, as the CLI would."""
    name, rest = split_command(argv)
    from ytm_doctor.config import load_config
    from ytm_doctor.redact import redact_argv

    command = commands.load(name)
    if not command.loads_plugins:
        # store and mirror (and demo, which needs no configuration): no plugin module is
        # imported, so they start fast.
        options = build_parser(command).parse_args(rest)
        if command.standalone:
            return Prepared(command, None, options, argv)
        config = load_config(options, validate=command.needs_valid_config)
        # Commands record argv (reports, journals, audit, locks): only ever the redacted one.
        return Prepared(command, config, options, redact_argv(argv, config))

    wants_help = any(a in ("-h", "--help") for a in rest)
    if wants_help and command.name != commands.DEFAULT:
        # Only the program's own help shows the plugins' options: another command's help
        # needs no configuration and no plugin (and argparse exits here).
        build_parser(command).parse_args(rest)
    try:
        requested, config_plugins, config_file = _preparse(rest)
    except UsageError:
        if not wants_help:
            raise
        requested, config_plugins, config_file = [], [], None  # help must work with a bad config
    from ytm_doctor.plugins.manager import make_plugin_manager

    pm = make_plugin_manager(
        requested=requested,
        config_plugins=config_plugins,
        config_dir=config_file.parent if config_file else None,
    )
    parser = build_parser(command, pm)
    options = parser.parse_args(rest)  # exits on --help before the config must be valid
    config = load_config(options, validate=command.needs_valid_config)
    config.pluginmanager = pm
    pm.hook.ytm_doctor_configure.call_historic(kwargs={"config": config})
    return Prepared(command, config, options, redact_argv(argv, config))


def run(argv: list[str]) -> int:
    name, rest = split_command(argv)
    if _asks_version(name, rest):
        print(f"{PROG} {__version__}")
        return ExitCode.OK
    return prepare(argv).run()


def _reconfigure_streams() -> None:
    # Never die on a name the terminal cannot encode (LANG=C, non-UTF-8 bytes).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    """Run one command; every way it can end is an exit code and at most one line on stderr.
    Called in-process (tests, embedders) it leaves the caller's signal handlers alone; the
    console script goes through console_main."""
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        _reconfigure_streams()
        return int(run(argv))
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except UsageError as exc:
        _say(f"{PROG}: error: {exc}")
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated) from console_main
        _say(f"{PROG}: interrupted{' by SIGTERM' if isinstance(exc, Terminated) else ''}")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return output_cut()
    except PluginLoadError as exc:
        _say(f"{PROG}: internal error: {exc}")
        return ExitCode.INTERNAL_ERROR
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            import traceback

            traceback.print_exc()
        _say(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} "
            f"(set {DEBUG_ENV}=1 for the traceback)"
        )
        return ExitCode.INTERNAL_ERROR


def console_main() -> int:
    """The `ytm-doctor` console script (reached through ytm_doctor.__main__, which already
    made Ctrl-C during start-up quiet): main() with this process's signals and stdout handled."""
    install_signal_handlers()
    try:
        code = main()
        # Flushed here, where a closed pipe can still be handled, not at exit, where Python
        # would print "Exception ignored ... BrokenPipeError".
        sys.stdout.flush()
    except BrokenPipeError:
        code = output_cut()
    except KeyboardInterrupt:  # a second Ctrl-C while the first was being reported
        code = ExitCode.INTERRUPTED
    return code


def install_signal_handlers() -> None:
    """Ctrl-C raises KeyboardInterrupt and SIGTERM raises Terminated, in the main thread: both
    unwind the same way (a fix rolled back, every lock released in its `finally`, exit 2). A
    signal ignored when the process started (nohup, `trap '' INT`) stays ignored."""
    for signum, handler in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, _term)):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, handler)
    previous = sys.unraisablehook

    def redeliver(unraisable: sys.UnraisableHookArgs) -> None:
        # A signal's exception raised where Python cannot pass it on (a weakref callback of
        # an import, a __del__) would be printed as "Exception ignored" and lost: raise the
        # signal again instead, to be handled at the next point that can.
        kind = unraisable.exc_type
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            signum = signal.SIGTERM if issubclass(kind, Terminated) else signal.SIGINT
            # Not raised from here: its handler could run before this hook returns, and an
            # exception raised inside the hook is lost the same way (with a traceback). A
            # thread sends the signal to the main thread a moment later instead.
            import threading

            main_thread = threading.main_thread().ident
            timer = threading.Timer(0.01, signal.pthread_kill, (main_thread, signum))
            timer.daemon = True
            timer.start()
            return
        previous(unraisable)

    sys.unraisablehook = redeliver


def _term(signum: int, frame: object) -> None:
    raise Terminated()


# A closed stdout ends the run as git and coreutils end it: they die of SIGPIPE, which the shell
# reports as 128 + 13. So `set -o pipefail` scripts learn that the output was cut, and plain
# pipelines (`ytm-doctor list | head -1`) do not care. pytest returns 1 here, which for
# ytm-doctor would claim violations; 0 would claim a complete run.
BROKEN_PIPE_EXIT = 141


def output_cut() -> int:
    """stdout's reader went away: say nothing, and point stdout at /dev/null so that what is
    still buffered has somewhere to go at exit."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: not a real file (tests)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return BROKEN_PIPE_EXIT


def _say(line: str) -> None:
    # stderr may be a closed pipe too: the exit code still tells what happened.
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(console_main())
