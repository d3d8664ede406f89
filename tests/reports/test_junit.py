"""The JUnit XML report (`--junitxml PATH`), parsed back: one test case per check that ran,
failures listing the findings, warnings and info as output, errors for broken checks, counts
and times a CI system reads, hostile file names kept as text."""

from __future__ import annotations

import os
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SELECT = ("--select", "YTM2,YTM3,LOC")

LOCAL_PLUGIN = textwrap.dedent(
    '''\
    from ytm_doctor import check


    @check("LOC900", "never-fires", severity="warning")
    def never_fires(ctx):
        """nothing to find"""
        return []


    @check("LOC901", "always-raises", severity="violation")
    def always_raises(ctx):
        """a check that breaks"""
        raise RuntimeError("boom <in> LOC901")
    '''
)


@pytest.fixture
def ci_world(world):
    """Three violations (one name with markup, one with a control character, one not UTF-8),
    a warning, an info finding, a check that raises, one that finds nothing."""
    world.configure(plugins=["plugins/local.py"])
    world.write("plugins/local.py", LOCAL_PLUGIN)
    ws = world.ws
    os.symlink("gone", ws / "<script>alert(1)&x")
    os.symlink("gone", ws / "bell\x01name")
    os.symlink(b"gone", os.fsencode(ws) + b"/bad\xffname")
    os.symlink("clip", ws / "clip.symlink_shared_backup_20260101T000000Z")  # YTM303 info
    (world.share / "ytm_workspaces" / "video" / "runs").rmdir()  # YTM203 warning
    return world


def run_junit(cli, *argv) -> tuple:
    res = cli("--no-save", "--json", *SELECT, "--junitxml", "out.xml", *argv)
    root = ET.parse("out.xml").getroot()  # raises if the file is not well-formed XML
    return res, root


def cases_by_code(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name").split()[0]: case for case in suite.iter("testcase")}


def test_one_case_per_check_that_ran(ci_world, cli) -> None:
    res, root = run_junit(cli)
    report = res.json()
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "ytm-doctor"
    cases = list(suite.iter("testcase"))
    assert [c.get("name") for c in cases] == [f"{c['code']} {c['name']}" for c in report["checks"]]
    by_code = cases_by_code(suite)
    assert by_code["YTM301"].get("classname") == "ytm_doctor.symlinks"
    assert by_code["YTM203"].get("classname") == "ytm_doctor.vault"
    assert by_code["LOC900"].get("classname") == "ytm_doctor.local"
    assert "YTM101" not in by_code  # deselected: it did not run
    # A check with nothing to report passes: no child at all.
    assert list(by_code["LOC900"]) == []
    assert list(by_code["YTM302"]) == []


def test_violations_fail_with_one_line_per_finding(ci_world, cli) -> None:
    res, root = run_junit(cli)
    assert res.code == 1
    case = cases_by_code(root.find("testsuite"))["YTM301"]
    [failure] = case.findall("failure")
    assert failure.get("message") == "3 violations"
    assert failure.get("type") == "violation"
    lines = failure.text.splitlines()
    assert len(lines) == 3
    assert all(line.startswith("VIOLATION workspace:") for line in lines)
    # Parsed back, the names are plain text: markup stays markup, bad bytes are spelled out.
    assert any("workspace:<script>alert(1)&x: dangling symlink -> gone" in li for li in lines)
    assert any("bell\\x01name" in line for line in lines)
    assert any("bad\\xffname" in line for line in lines)


def test_warnings_and_info_are_output_not_failures(ci_world, cli) -> None:
    _res, root = run_junit(cli)
    by_code = cases_by_code(root.find("testsuite"))
    assert by_code["YTM203"].find("failure") is None
    assert by_code["YTM203"].find("system-out").text == (
        "WARNING share:ytm_workspaces/video/runs: "
        "required Vault directory ytm_workspaces/video/runs/ is missing"
    )
    assert by_code["YTM303"].find("failure") is None
    assert by_code["YTM303"].find("system-out").text.startswith("INFO workspace:clip.symlink_")


def test_fail_on_warning_turns_warnings_into_failures(ci_world, cli) -> None:
    res = cli("--no-save", "--select", "YTM203", "--junitxml", "w.xml")
    assert res.code == 0  # warnings do not fail by default
    suite = ET.parse("w.xml").getroot().find("testsuite")
    assert suite.get("failures") == "0"
    res = cli("--no-save", "--select", "YTM203", "--junitxml", "w.xml", "--fail-on", "warning")
    assert res.code == 1
    suite = ET.parse("w.xml").getroot().find("testsuite")
    assert suite.get("failures") == "1"
    [failure] = cases_by_code(suite)["YTM203"].findall("failure")
    assert failure.get("message") == "1 warning"
    assert failure.text.startswith("WARNING share:ytm_workspaces/video/runs")
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["fail_on"] == (
        "violation and warning"
    )


def test_a_check_that_raised_is_an_error(ci_world, cli) -> None:
    _res, root = run_junit(cli)
    case = cases_by_code(root.find("testsuite"))["LOC901"]
    [error] = case.findall("error")
    assert case.find("failure") is None
    assert error.get("type") == "check-error"
    assert error.get("message") == "RuntimeError: boom <in> LOC901"


def test_counts_and_times_add_up(ci_world, cli) -> None:
    res, root = run_junit(cli)
    report = res.json()
    suite = root.find("testsuite")
    cases = list(suite.iter("testcase"))
    assert int(suite.get("tests")) == len(cases) == report["summary"]["checks_run"]
    assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(suite.get("failures")) == 1  # YTM301; the warning and the info do not fail
    assert int(suite.get("errors")) == 1 == report["summary"]["checks_errored"]
    assert suite.get("skipped") == "0"
    assert float(suite.get("time")) == pytest.approx(report["run"]["duration_s"], abs=0.002)
    assert report["run"]["started"].startswith(suite.get("timestamp"))
    assert suite.get("hostname") == report["run"]["host"]
    for key in ("tests", "failures", "errors", "skipped", "time"):
        assert root.get(key) == suite.get(key)


def test_baselined_findings_do_not_fail(ci_world, cli) -> None:
    cli("--no-save", *SELECT, "--write-baseline", "base.json")
    os.symlink("gone", ci_world.ws / "fresh")
    res, root = run_junit(cli, "--baseline", "base.json")
    assert res.code == 1
    by_code = cases_by_code(root.find("testsuite"))
    [failure] = by_code["YTM301"].findall("failure")
    assert failure.get("message") == "1 violation"
    assert failure.text == "VIOLATION workspace:fresh: dangling symlink -> gone"
    assert by_code["YTM301"].find("system-out").text == "3 findings accepted by the baseline"
    assert by_code["YTM203"].find("failure") is None


def test_written_atomically_over_an_old_file(world, cli) -> None:
    Path("ci").mkdir()
    Path("ci/junit.xml").write_text("<old/>")
    assert cli("--no-save", "--select", "YTM1", "--junitxml", "ci/junit.xml").code == 0
    assert os.listdir("ci") == ["junit.xml"]
    root = ET.parse("ci/junit.xml").getroot()
    assert root.get("tests") == "3" and root.get("failures") == "0"


@pytest.mark.parametrize("target", ["no-such-dir/junit.xml", "."])
def test_an_unwritable_junit_path_is_a_usage_error(world, cli, target) -> None:
    res = cli("--no-save", "--junitxml", target)
    assert res.code == 4
    assert len(res.err_lines) == 1 and "--junitxml" in res.err
    assert res.out == ""
