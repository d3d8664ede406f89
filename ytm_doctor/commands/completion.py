"""`ytm-doctor completion bash|zsh`: a shell completion script, generated from the real argparse
parsers (every command, its options, the choices of options and arguments) and the rule codes
of this installation, built-in and plugin rules alike, for --select, --ignore and `explain`.

The script is plain shell with the words written into it, so completing costs no Python start;
regenerate it after installing a plugin that adds rules or options. No dependency: argcomplete
would run the program at every Tab.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command
from ytm_doctor.errors import ExitCode

if TYPE_CHECKING:
    from ytm_doctor.config import Config

SHELLS = ("bash", "zsh")
CODE_OPTIONS = ("--select", "--ignore")  # comma-separated rule codes
BASH_FILES = "_ytm_doctor_files"  # the script's helper: file (-f) or directory (-d) names
FILE_METAVARS = {"PATH", "FILE"}
DIR_METAVARS = {"DIR"}
# A word written into the script: anything else (a plugin's odd option name) is left out
# rather than quoted, so no word can break the script.
_WORD = re.compile(r"^[A-Za-z0-9_.:+=-]+$")


@dataclass
class CommandWords:
    name: str
    options: list[str]
    words: list[str]  # the choices of its positional arguments (`schedule install`)
    files: bool  # a positional argument is a file (`apply FILE`)


@dataclass
class Catalogue:
    """What the scripts complete, read from the parsers."""

    commands: list[CommandWords] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)  # option -> its values
    file_options: set[str] = field(default_factory=set)
    dir_options: set[str] = field(default_factory=set)
    free_options: set[str] = field(default_factory=set)  # a value nothing can complete
    codes: list[str] = field(default_factory=list)


def _words(items) -> list[str]:
    return [str(w) for w in items if _WORD.match(str(w))]


def _add_parser(catalogue: Catalogue, name: str, parser: argparse.ArgumentParser) -> None:
    options: list[str] = []
    words: list[str] = []
    files = False
    for action in parser._actions:
        if not action.option_strings:  # a positional argument
            if action.choices:
                words.extend(_words(action.choices))
            files = files or action.metavar in FILE_METAVARS
            continue
        options.extend(_words(action.option_strings))
        if action.nargs == 0:
            continue
        for option in _words(action.option_strings):
            if option in CODE_OPTIONS:
                continue
            if action.choices:
                known = catalogue.choices.setdefault(option, [])
                known.extend(c for c in _words(action.choices) if c not in known)
            elif action.metavar in FILE_METAVARS:
                catalogue.file_options.add(option)
            elif action.metavar in DIR_METAVARS:
                catalogue.dir_options.add(option)
            else:
                catalogue.free_options.add(option)
    if name == "explain":
        words.extend(catalogue.codes)
    catalogue.commands.append(CommandWords(name, sorted(set(options)), words, files))


def catalogue_for(config: Config) -> Catalogue:
    """Every command's parser, the default one with the plugins' options, and the rules."""
    from ytm_doctor import commands
    from ytm_doctor.cli import build_parser
    from ytm_doctor.collect import collect_checks

    catalogue = Catalogue(codes=sorted({c.rule.code for c in collect_checks(config)}))
    for name in commands.COMMANDS:
        command = commands.load(name)
        pm = config.pluginmanager if name == commands.DEFAULT else None
        _add_parser(catalogue, name, build_parser(command, pm))
    catalogue.free_options -= catalogue.file_options | catalogue.dir_options
    return catalogue


def _join(words) -> str:
    return " ".join(words)


def _alternatives(options) -> str:
    return "|".join(sorted(options))


def bash_script(catalogue: Catalogue, version: str) -> str:
    commands = [c.name for c in catalogue.commands]
    lines = [
        f"# bash completion for ytm-doctor {version}, made by `ytm-doctor completion bash`.",
        "# Load it with: source <(ytm-doctor completion bash)",
        "# or save it as ~/.local/share/bash-completion/completions/ytm-doctor",
        "_ytm_doctor_files() {",
        "    # One name a line, so names with spaces stay whole (bash 3.2 has no mapfile).",
        "    local IFS=$'\\n'",
        "    compopt -o filenames 2>/dev/null",
        '    COMPREPLY=($(compgen "$1" -- "$cur"))',
        "}",
        "_ytm_doctor() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i w opts',
        '    (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
        f'    local commands="{_join(commands)}"',
        f'    local codes="{_join(catalogue.codes)}"',
        "    COMPREPLY=()",
        "    # The command: the first word after the program that names one.",
        "    for (( i = 1; i < COMP_CWORD; i++ )); do",
        '        w="${COMP_WORDS[i]}"',
        '        case " $commands " in *" $w "*) cmd="$w"; break ;; esac',
        "    done",
        '    case "$prev" in',
        f"        {_alternatives(CODE_OPTIONS)})",
        "            # comma-separated codes: complete the last one",
        '            local head=""',
        '            [[ "$cur" == *,* ]] && head="${cur%,*},"',
        '            COMPREPLY=($(compgen -P "$head" -W "$codes" -- "${cur##*,}"))',
        "            return ;;",
    ]
    for option, values in sorted(catalogue.choices.items()):
        lines.append(f'        {option}) COMPREPLY=($(compgen -W "{_join(values)}" -- "$cur"))')
        lines.append("            return ;;")
    if catalogue.file_options:
        lines.append(f"        {_alternatives(catalogue.file_options)}) {BASH_FILES} -f")
        lines.append("            return ;;")
    if catalogue.dir_options:
        lines.append(f"        {_alternatives(catalogue.dir_options)}) {BASH_FILES} -d")
        lines.append("            return ;;")
    if catalogue.free_options:
        lines.append(f"        {_alternatives(catalogue.free_options)}) return ;;")
    lines += ["    esac", '    if [[ "$cur" == -* ]]; then', '        case "$cmd" in']
    for command in catalogue.commands:
        pattern = f'""|{command.name}' if command.name == "scan" else command.name
        lines.append(f'            {pattern}) opts="{_join(command.options)}" ;;')
    lines += [
        "        esac",
        '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
        "        return",
        "    fi",
        '    if [[ -z "$cmd" ]]; then',
        '        COMPREPLY=($(compgen -W "$commands" -- "$cur"))',
        "        return",
        "    fi",
        '    case "$cmd" in',
    ]
    for command in catalogue.commands:
        if command.words:
            words = _join(command.words)
            lines.append(
                f'        {command.name}) COMPREPLY=($(compgen -W "{words}" -- "$cur")) ;;'
            )
        elif command.files:
            lines.append(f"        {command.name}) {BASH_FILES} -f ;;")
    lines += ["    esac", "}", "complete -F _ytm_doctor ytm-doctor", ""]
    return "\n".join(lines)


def zsh_script(catalogue: Catalogue, version: str) -> str:
    commands = [c.name for c in catalogue.commands]
    lines = [
        "#compdef ytm-doctor",
        f"# zsh completion for ytm-doctor {version}, made by `ytm-doctor completion zsh`.",
        "# Save it as _ytm-doctor in a directory of $fpath (before compinit),",
        "# or load it with: source <(ytm-doctor completion zsh)",
        "_ytm_doctor() {",
        "    local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd='' i",
        # Not `commands`: zsh keeps the PATH's commands in that special parameter.
        f"    local -a subcommands=({_join(commands)})",
        f"    local -a codes=({_join(catalogue.codes)})",
        "    local -a opts",
        "    for (( i = 2; i < CURRENT; i++ )); do",
        "        if (( ${subcommands[(Ie)${words[i]}]} )); then cmd=${words[i]}; break; fi",
        "    done",
        "    case $prev in",
        f"        ({_alternatives(CODE_OPTIONS)})",
        "            compset -P '*,'  # comma-separated codes: complete the last one",
        "            compadd -- $codes; return ;;",
    ]
    for option, values in sorted(catalogue.choices.items()):
        lines.append(f"        ({option}) compadd -- {_join(values)}; return ;;")
    if catalogue.file_options:
        lines.append(f"        ({_alternatives(catalogue.file_options)}) _files; return ;;")
    if catalogue.dir_options:
        lines.append(f"        ({_alternatives(catalogue.dir_options)}) _files -/; return ;;")
    if catalogue.free_options:
        lines.append(f"        ({_alternatives(catalogue.free_options)}) return ;;")
    lines += ["    esac", "    if [[ $cur == -* ]]; then", "        case $cmd in"]
    for command in catalogue.commands:
        pattern = f"(|{command.name})" if command.name == "scan" else f"({command.name})"
        lines.append(f"            {pattern} opts=({_join(command.options)}) ;;")
    lines += [
        "        esac",
        "        compadd -- $opts; return",
        "    fi",
        "    if [[ -z $cmd ]]; then compadd -- $subcommands; return; fi",
        "    case $cmd in",
    ]
    for command in catalogue.commands:
        if command.words:
            lines.append(f"        ({command.name}) compadd -- {_join(command.words)} ;;")
        elif command.files:
            lines.append(f"        ({command.name}) _files ;;")
    lines += [
        "    esac",
        "}",
        "# Autoloaded from $fpath the file is the function's body; sourced, it registers it.",
        'if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _ytm_doctor "$@"',
        "else compdef _ytm_doctor ytm-doctor; fi",
        "",
    ]
    return "\n".join(lines)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete for: bash or zsh")


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor import __version__

    catalogue = catalogue_for(config)
    make = bash_script if options.shell == "bash" else zsh_script
    sys.stdout.write(make(catalogue, __version__))
    return ExitCode.OK


COMMAND = Command(
    name="completion",
    help="print a bash or zsh completion script (commands, options, rule codes)",
    add_options=add_options,
    run=run,
)
