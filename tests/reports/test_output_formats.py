"""`--output-format text|json|sarif|junit|github|html` (ruff's names): the chosen report alone on
stdout; `github` as GitHub Actions workflow commands checked against the documented syntax and
the toolkit's escaping; `--color` with NO_COLOR and FORCE_COLOR."""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ytm_doctor.color import use_color
from ytm_doctor.reports.github import escape_data, escape_property, workflow_command

NO_SAVE = ("--no-save", "--select", "YTM203,YTM301,YTM303")

# The documented syntax (docs.github.com, "Workflow commands for GitHub Actions"):
#   ::error file={name},line={line},endLine={endLine},title={title}::{message}
# with `warning` and `notice` in place of `error`. Properties are key=value pairs separated by
# commas; so a value cannot hold a raw `,` or `:` (escaped as %2C, %3A), and no part can hold a
# raw newline (%0A) or CR (%0D); `%` itself is %25 (actions/toolkit command.ts).
COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: command, properties, message (unescaped)."""
    match = COMMAND.match(line)
    assert match, line
    props = {}
    for pair in (match.group(2) or "").split(","):
        key, _, value = pair.partition("=")
        assert re.fullmatch(r"[A-Za-z]+", key), line
        assert "," not in value and ":" not in value, line
        props[key] = unescape(value)
    assert "\n" not in match.group(3) and "\r" not in match.group(3)
    return match.group(1), props, unescape(match.group(3))


def test_escaping_is_the_toolkits() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    # % first: an escape already in the text is not taken for one.
    assert escape_data("%0A") == "%250A"
    assert (
        workflow_command("warning", {"file": "x,y.txt", "line": "1", "title": "YTM203"}, "m")
        == "::warning file=x%2Cy.txt,line=1,title=YTM203::m"
    )
    assert workflow_command("notice", {}, "hello") == "::notice::hello"


@pytest.fixture
def findings_world(world):
    """A violation (a dangling link with , : % in its name), a warning and an info."""
    (world.ws / "scripts").mkdir()
    os.symlink("gone", world.ws / "scripts" / "a,b:c%d")  # YTM301 violation
    os.symlink("clip", world.ws / "clip.symlink_shared_backup_20260101T000000Z")  # YTM303 info
    (world.share / "ytm_workspaces" / "video" / "runs").rmdir()  # YTM203 warning
    return world


def test_github_prints_one_annotation_per_finding_and_nothing_else(
    cli, findings_world, monkeypatch
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(findings_world.root))
    expected = cli(*NO_SAVE, "--json").json()["findings"]
    res = cli(*NO_SAVE, "--output-format", "github")
    assert res.code == 1
    lines = res.out.splitlines()
    assert len(lines) == len(expected) == 3
    parsed = [parse(line) for line in lines]
    levels = {"violation": "error", "warning": "warning", "info": "notice"}
    for (command, props, message), finding in zip(parsed, expected, strict=True):
        assert command == levels[finding["severity"]]
        assert props["title"] == finding["rule"]
        assert props["line"] == "1"
        assert message.startswith(finding["message"])
    by_rule = {props["title"]: (props, message) for _, props, message in parsed}
    # Relative to the checkout, so that GitHub can link the annotation to the file.
    props, message = by_rule["YTM301"]
    assert props["file"] == "ws/scripts/a,b:c%d"
    assert by_rule["YTM203"][0]["file"] == "share/ytm_workspaces/video/runs"
    # A fixable finding carries its fix command on a second line of the message.
    assert "\nfix: ytm-doctor fix " in by_rule["YTM203"][1]


def test_github_paths_outside_the_checkout_are_absolute(cli, findings_world, monkeypatch):
    checkout = findings_world.root / "checkout"
    checkout.mkdir()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(checkout))
    monkeypatch.chdir(checkout)
    config = str(findings_world.config_file)
    res = cli(*NO_SAVE, "--config", config, "--output-format", "github")
    files = {parse(line)[1]["file"] for line in res.out.splitlines()}
    assert str(findings_world.ws / "scripts" / "a,b:c%d") in files


def test_sarif_and_junit_on_stdout_are_the_files_reports(cli, findings_world) -> None:
    res = cli(*NO_SAVE, "--output-format", "sarif", "--sarif", "out.sarif")
    assert res.code == 1
    on_stdout = json.loads(res.out)
    assert on_stdout == json.loads(Path("out.sarif").read_text(encoding="utf-8"))
    assert len(on_stdout["runs"][0]["results"]) == 3

    res = cli(*NO_SAVE, "--output-format", "junit", "--junitxml", "out.xml")
    assert res.code == 1
    suite = ET.fromstring(res.out.encode("utf-8"))
    assert suite.get("failures") == "1"
    assert res.out.encode("utf-8") == Path("out.xml").read_bytes()


def test_json_and_html_on_stdout(cli, findings_world) -> None:
    res = cli(*NO_SAVE, "--output-format", "json")
    assert {f["rule"] for f in res.json()["findings"]} == {"YTM203", "YTM301", "YTM303"}
    res = cli(*NO_SAVE, "--output-format", "html")
    assert res.out.startswith("<!DOCTYPE html>")
    assert res.out.rstrip().endswith("</html>")
    assert "a,b:c%d" in res.out
    assert "violation" not in res.out.splitlines()[-1]  # no terminal summary after the page


def test_html_to_stdout_keeps_the_saved_copy(cli, findings_world) -> None:
    res = cli("--select", "YTM301", "--output-format", "html")
    assert res.out.startswith("<!DOCTYPE html>")
    saved = list(findings_world.report_dir.glob("report__*.html"))
    assert len(saved) == 1
    assert saved[0].read_text(encoding="utf-8") == res.out


def test_text_is_the_terminal_report(cli, findings_world) -> None:
    res = cli(*NO_SAVE, "--output-format", "text")
    assert "1 violation, 1 warning, 1 info" in res.out


def test_two_reports_for_stdout_is_a_usage_error(cli, findings_world) -> None:
    res = cli("--json", "--output-format", "github")
    assert res.code == 4
    assert res.out == ""
    assert res.err_lines == [
        "ytm-doctor: error: --json and --output-format github: stdout holds one report"
    ]
    assert findings_world.saved_reports() == []  # refused before the scan
    res = cli("--output-format", "xml")
    assert res.code == 4
    assert "invalid choice: 'xml'" in res.err


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("flag", "environ", "tty", "expected"),
    [
        (None, {}, True, True),
        (None, {}, False, False),
        ("auto", {}, True, True),
        ("always", {"NO_COLOR": "1"}, False, True),  # the flag wins over everything
        ("never", {"FORCE_COLOR": "1"}, True, False),
        (None, {"NO_COLOR": "1"}, True, False),
        (None, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),  # NO_COLOR over FORCE
        (None, {"FORCE_COLOR": "1"}, False, True),
        (None, {"NO_COLOR": ""}, True, True),  # set but empty: as if unset
        (None, {"FORCE_COLOR": ""}, False, False),
    ],
)
def test_color_precedence(flag, environ, tty, expected) -> None:
    assert use_color(flag, Stream(tty), environ) is expected


def test_color_in_the_terminal_report(cli, findings_world, monkeypatch) -> None:
    # stdout is captured here, not a terminal: only --color always or FORCE_COLOR colour it.
    assert "\x1b[" not in cli(*NO_SAVE).out
    assert "\x1b[31mVIOLATION" in cli(*NO_SAVE, "--color", "always").out
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[31mVIOLATION" in cli(*NO_SAVE).out
    assert "\x1b[" not in cli(*NO_SAVE, "--color", "never").out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in cli(*NO_SAVE).out
    assert "\x1b[" in cli(*NO_SAVE, "--color=always").out


RAISING_PLUGIN = '''\
from ytm_doctor import check


@check("LOC901", "always-raises", severity="violation")
def always_raises(ctx):
    """a check that breaks"""
    raise RuntimeError("boom, in LOC901")
'''


def test_github_reports_a_check_error_as_an_error(cli, world) -> None:
    world.configure(plugins=["local.py"])
    world.write("local.py", RAISING_PLUGIN)
    res = cli("--no-save", "--select", "LOC901", "--output-format", "github")
    assert res.code == 1
    [line] = res.out.splitlines()
    command, props, message = parse(line)
    assert command == "error"
    assert props == {"title": "ytm-doctor check error"}
    assert message.startswith("LOC901: ") and "boom, in LOC901" in message


def test_status_and_fleet_follow_color_too(cli, world, monkeypatch) -> None:
    no_disk = ("--set", "disk.stop_free_gib=0", "--set", "disk.warn_free_gib=0")
    assert cli("--publish", "-q", *no_disk).code == 0  # a full scan publishes: fleet has a host
    for command in (("status", *no_disk), ("fleet",)):
        assert "\x1b[" not in cli(*command).out  # captured: not a terminal
        assert "\x1b[32m" in cli(*command, "--color", "always").out
        monkeypatch.setenv("FORCE_COLOR", "1")
        assert "\x1b[32m" in cli(*command).out
        assert "\x1b[" not in cli(*command, "--color", "never").out
        monkeypatch.delenv("FORCE_COLOR")
