"""`ytm-doctor completion bash|zsh`: scripts generated from the real parsers and rule codes,
checked by the shells themselves; the bash one completes in a real `bash --norc`."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from ytm_doctor import commands
from ytm_doctor.cli import build_parser
from ytm_doctor.commands.options import OUTPUT_FORMATS

BASH = shutil.which("bash")
ZSH = shutil.which("zsh")

SITE_PLUGIN = textwrap.dedent(
    '''\
    from ytm_doctor import check
    from ytm_doctor.plugins.hookspec import hookimpl


    @check("LOC901", "site-rule", severity="warning")
    def site_rule(ctx):
        """a plugin's rule: its code is completed too"""
        return []


    @hookimpl
    def ytm_doctor_addoption(parser):
        parser.add_argument("--site-csv", metavar="PATH", help="a plugin's option")
    '''
)

# Completes each line's words as bash would after the user pressed Tab at the end of the line,
# and prints `words => candidate|candidate`.
DRIVER = textwrap.dedent(
    """\
    source "$1"
    complete -p ytm-doctor >/dev/null || exit 9
    shift
    for line in "$@"; do
        read -r -a COMP_WORDS <<< "$line"
        [[ "$line" == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMPREPLY=()
        _ytm_doctor
        (IFS='|'; echo "$line => ${COMPREPLY[*]}")
    done
    """
)


def complete(script: Path, *lines: str, cwd: Path | None = None) -> dict[str, list[str]]:
    assert BASH is not None
    driver = script.with_name("driver.sh")
    driver.write_text(DRIVER, encoding="utf-8")
    proc = subprocess.run(
        [BASH, "--norc", "--noprofile", str(driver), str(script), *lines],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = {}
    for row in proc.stdout.splitlines():
        line, _, candidates = row.partition(" => ")
        out[line] = candidates.split("|") if candidates else []
    return out


@pytest.fixture
def bash_script(cli, world, tmp_path) -> Path:
    world.configure(plugins=["site.py"])
    world.write("site.py", SITE_PLUGIN)
    res = cli("completion", "bash")
    assert res.code == 0, res.err
    script = tmp_path / "ytm-doctor.bash"
    script.write_text(res.out, encoding="utf-8")
    return script


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_bash_script_passes_bash_n(bash_script) -> None:
    proc = subprocess.run([BASH, "-n", str(bash_script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_bash_completes_commands_options_and_codes(bash_script, world) -> None:
    (world.root / "my plans").mkdir()
    (world.root / "my plans" / "plan one.json").write_text("{}", encoding="utf-8")
    got = complete(
        bash_script,
        "ytm-doctor sta",
        "ytm-doctor mir",
        "ytm-doctor ex",
        "ytm-doctor explain YTM20",
        "ytm-doctor explain LOC",
        "ytm-doctor --select YTM1,YTM30",
        "ytm-doctor fix --ign",
        "ytm-doctor --site",
        "ytm-doctor --output-format ",
        "ytm-doctor --color ",
        "ytm-doctor schedule ",
        "ytm-doctor completion ",
        "ytm-doctor --config ytm-doctor.y",
        "ytm-doctor apply my",
        "ytm-doctor --channel ",
        cwd=world.root,
    )
    # Whatever commands this build has: `sta` is every command starting so (none, or status).
    assert got["ytm-doctor sta"] == [c for c in commands.COMMANDS if c.startswith("sta")]
    assert got["ytm-doctor mir"] == ["mirror"]
    assert got["ytm-doctor ex"] == ["explain"]
    assert got["ytm-doctor explain YTM20"] == ["YTM201", "YTM202", "YTM203"]
    assert got["ytm-doctor explain LOC"] == ["LOC901"]  # the config's plugin's rule
    assert got["ytm-doctor --select YTM1,YTM30"] == ["YTM1,YTM301", "YTM1,YTM302", "YTM1,YTM303"]
    assert got["ytm-doctor fix --ign"] == ["--ignore"]
    assert got["ytm-doctor --site"] == ["--site-csv"]  # the plugin's option, on the scan
    assert got["ytm-doctor --output-format "] == list(OUTPUT_FORMATS)
    assert got["ytm-doctor --color "] == ["auto", "always", "never"]
    assert got["ytm-doctor schedule "] == ["install", "remove", "status"]
    assert got["ytm-doctor completion "] == ["bash", "zsh"]
    assert got["ytm-doctor --config ytm-doctor.y"] == ["ytm-doctor.yaml"]
    # A name with a space is one candidate.
    assert got["ytm-doctor apply my"] == ["my plans"]
    assert got["ytm-doctor --channel "] == []  # a free value: no guess


def test_every_commands_options_are_in_the_script(cli, world) -> None:
    script = cli("completion", "bash").out
    for name in commands.COMMANDS:
        listed = script.split('local commands="')[1].split('"')[0].split()
        assert name in listed
        parser = build_parser(commands.load(name))
        line = next(
            row
            for row in script.splitlines()
            if row.strip().startswith('""|scan)' if name == "scan" else f"{name})")
            and "opts=" in row
        )
        for action in parser._actions:
            for option in action.option_strings:
                assert f" {option} " in line.replace('"', " "), (name, option)


@pytest.mark.skipif(ZSH is None, reason="zsh is not installed on this machine: zsh -n not run")
def test_zsh_script_passes_zsh_n(cli, world, tmp_path) -> None:
    res = cli("completion", "zsh")
    assert res.code == 0
    script = tmp_path / "_ytm-doctor"
    script.write_text(res.out, encoding="utf-8")
    proc = subprocess.run([ZSH, "-n", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_zsh_script_holds_the_same_words(cli, world) -> None:
    script = cli("completion", "zsh").out
    assert script.startswith("#compdef ytm-doctor\n")
    assert "(--output-format) compadd -- text json sarif junit github html; return ;;" in script
    assert "(explain) compadd -- YTM100 " in script
    assert "local -a subcommands=(scan fix " in script


def test_an_unknown_shell_is_a_usage_error(cli, world) -> None:
    res = cli("completion", "fish")
    assert res.code == 4
    assert res.out == ""
    assert len(res.err_lines) == 1 and "invalid choice: 'fish'" in res.err
