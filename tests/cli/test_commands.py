"""The registry of commands (ytm_doctor/commands/): every registered command is reachable and
documented, a new command needs one module and one registry line, store and mirror stay light."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from ytm_doctor import commands
from ytm_doctor.commands.base import Command

HELLO = textwrap.dedent(
    '''\
    """`ytm-doctor hello`: a command that lives outside ytm_doctor/commands/ (tests only)."""

    from ytm_doctor.commands.base import Command
    from ytm_doctor.commands.options import selection_options


    def add_options(parser):
        parser.add_argument("--name", default="world", help="whom to greet")
        selection_options(parser)


    def run(config, options, argv):
        plugins = "plugins loaded" if config.pluginmanager else "no plugins"
        print(f"hello {options.name}: {config['workspace_root'].name}, {plugins}, argv={argv}")
        return 0


    COMMAND = Command(
        name="hello", help="greet someone (a test command)", add_options=add_options, run=run,
        needs_valid_config=True,
    )
    '''
)


@pytest.fixture
def hello(tmp_path, monkeypatch, forget_tmp_modules):
    """`hello` registered the way a real command is (a module of ytm_doctor.commands, one more
    name in COMMANDS), from tmp_path so the package stays as it is."""
    where = tmp_path / "more_commands"
    where.mkdir()
    (where / "hello.py").write_text(HELLO)
    monkeypatch.setattr(commands, "__path__", [*commands.__path__, str(where)])
    monkeypatch.setattr(commands, "COMMANDS", (*commands.COMMANDS, "hello"))
    monkeypatch.delitem(sys.modules, "ytm_doctor.commands.hello", raising=False)
    return where


@pytest.mark.parametrize("name", commands.COMMANDS)
def test_every_registered_command_has_help_and_is_listed(tmp_path, monkeypatch, cli, name):
    monkeypatch.chdir(tmp_path)  # help needs no configuration
    command = commands.load(name)
    assert command.name == name
    assert "\n" not in command.help
    res = cli(name, "--help")
    assert res.code == 0, res.err
    assert res.err == ""
    prog = "ytm-doctor" if name == commands.DEFAULT else f"ytm-doctor {name}"
    assert res.out.startswith(f"usage: {prog} ")
    assert ("--config PATH" in res.out) is not command.standalone
    top = cli("--help")
    assert top.code == 0
    width = max(len(n) for n in commands.COMMANDS)  # one column for all, two spaces after
    assert f"  {name:<{width}}  {command.help}\n" in top.out


def test_the_top_level_help_lists_the_commands_in_registry_order(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    out = cli("--help").out
    listed = out[out.index("commands:\n") :].splitlines()[1 : 1 + len(commands.COMMANDS)]
    assert [line.split()[0] for line in listed] == list(commands.COMMANDS)


def test_a_command_added_by_one_module_and_one_registry_line(world, hello, cli):
    top = cli("--help")
    width = max(len(n) for n in commands.COMMANDS)
    assert f"  {'hello':<{width}}  greet someone (a test command)\n" in top.out
    res = cli("hello", "--help")
    assert res.code == 0
    assert "--name NAME" in res.out and "--workspace-root DIR" in res.out  # config options too
    assert "--select CODES" in res.out  # a shared option group

    res = cli("hello", "--name", "you")
    assert res.code == 0, res.err
    assert res.out == "hello you: ws, plugins loaded, argv=['hello', '--name', 'you']\n"
    # A configuration option before the command's name.
    res = cli("--config", "ytm-doctor.yaml", "hello")
    assert res.code == 0, res.err
    assert res.out.startswith("hello world: ws, plugins loaded")
    # Its usage errors are the usual single line naming the command.
    res = cli("hello", "--bogus")
    assert (res.code, res.err) == (4, "ytm-doctor: error: hello: unrecognized arguments: --bogus\n")
    # needs_valid_config: no workspace is exit 4 before the handler runs.
    res = cli("hello", "--workspace-root", "nowhere")
    assert res.code == 4 and res.out == ""
    assert "nowhere" in res.err and "does not exist" in res.err


def test_a_command_that_skips_plugins_gets_a_config_without_them(world, hello, cli):
    source = (hello / "hello.py").read_text()
    (hello / "hello.py").write_text(source.replace("run=run,", "run=run, loads_plugins=False,"))
    res = cli("hello")
    assert res.code == 0, res.err
    assert res.out.startswith("hello world: ws, no plugins")


def test_a_module_must_declare_the_command_it_is_registered_as(hello, cli):
    (hello / "hello.py").write_text(HELLO.replace('name="hello"', 'name="howdy"'))
    with pytest.raises(ValueError, match="declares the command 'howdy'"):
        commands.load("hello")
    assert cli("hello").code == 3  # a bug, not a usage error


def test_a_standalone_command_loads_neither_plugins_nor_config():
    with pytest.raises(ValueError, match="standalone"):
        Command("x", "x", add_options=print, run=print, standalone=True)
    with pytest.raises(ValueError, match="standalone"):
        Command(
            "x", "x", add_options=print, run=print, standalone=True, loads_plugins=False,
            needs_valid_config=True,
        )  # fmt: skip
    Command("x", "x", add_options=print, run=print, standalone=True, loads_plugins=False)


@pytest.mark.parametrize("argv", [["mirror", "--help"], ["store", "--help"], ["demo", "--help"]])
def test_store_mirror_and_demo_import_no_other_command_and_no_plugin(argv):
    # They run often (mirror and store are timed against rsync and cp): the registry imports
    # only the command that runs, and these load no plugin module.
    code = (
        "import json, sys\n"
        "from ytm_doctor.cli import main\n"
        f"code = main({argv!r})\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.startswith('ytm_doctor'))]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    code, modules = json.loads(proc.stdout.splitlines()[-1])
    assert code == 0
    assert f"ytm_doctor.commands.{argv[0]}" in modules
    others = {f"ytm_doctor.commands.{name}" for name in commands.COMMANDS} - {
        f"ytm_doctor.commands.{argv[0]}"
    }
    assert not others & set(modules)
    for heavy in ("ytm_doctor.checks", "ytm_doctor.reports", "ytm_doctor.session"):
        assert heavy not in modules


def test_the_command_is_found_after_any_option(monkeypatch):
    from ytm_doctor import cli

    # Configuration options before the name: their values are never taken for a command,
    # and no other command's parser is built to tell.
    def every_parser():
        raise AssertionError("built every command's parser")

    with monkeypatch.context() as m:
        m.setattr(cli, "_value_options", every_parser)
        assert cli.split_command(["--config", "fix", "mirror", "--run"]) == (
            "mirror",
            ["--config", "fix", "--run"],
        )
        assert cli.split_command(["--config=x", "-p", "store", "undo"]) == (
            "undo",
            ["--config=x", "-p", "store"],
        )
    # Any other option before it: every parser says which options take a value.
    assert cli.split_command(["--channel", "fix", "fix"]) == ("fix", ["--channel", "fix"])
    assert cli.split_command(["-k", "store", "--json"]) == ("scan", ["-k", "store", "--json"])
