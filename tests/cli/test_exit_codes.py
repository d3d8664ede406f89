"""Names that match nothing are usage errors (exit 4, one line), never a silent empty run; a check
that raises fails the scan (exit 1) and keeps its traceback (JSON always, the terminal with -v)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--select", "YTM7O3"], "did you mean YTM703"),
        (["--select", "YTM8011"], "did you mean YTM801"),
        (["--ignore", "XYZ"], None),
        (["-p", "no:nosuch"], None),
        (["-p", "no:publsh"], "did you mean no:publish"),
    ],
)
def test_unknown_names_exit_4(world, cli, args, hint) -> None:
    res = cli("--no-save", *args)
    assert res.code == 4 and len(res.err_lines) == 1, res.err
    if hint:
        assert hint in res.err


def test_unmatched_fingerprint_exits_4_and_journals_nothing(world, cli) -> None:
    res = cli("fix", "--fingerprint", "deadbeef", "--run")
    assert res.code == 4 and "deadbeef" in res.err
    assert not list(world.report_dir.glob("journal__*")) if world.report_dir.exists() else True


BROKEN_PLUGIN = '''from ytm_doctor import check


@check("LOC901", "always-raises")
def always_raises(ctx):
    """breaks"""
    raise RuntimeError("boom from the plugin")
'''


def test_a_check_that_raises_keeps_its_traceback(world, cli_proc) -> None:
    world.write("plugins/broken.py", BROKEN_PLUGIN)
    args = ("-p", "plugins/broken.py", "--select", "LOC901", "--no-save")

    report = cli_proc(*args, "--json")
    assert report.code == 1, report.err  # a check error fails the scan
    [error] = report.json()["errors"]
    assert error["kind"] == "check" and error["check"] == "LOC901"
    assert error["message"] == "RuntimeError: boom from the plugin"
    trace = error["traceback"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "broken.py" in trace and "in always_raises" in trace
    assert trace.rstrip().endswith("RuntimeError: boom from the plugin")

    quiet = cli_proc(*args)
    assert quiet.code == 1
    assert "LOC901  RuntimeError: boom from the plugin" in quiet.out  # one line per error
    assert "Traceback" not in quiet.out + quiet.err
    assert "in always_raises" not in quiet.out

    verbose = cli_proc(*args, "-v")
    assert verbose.code == 1
    assert "    Traceback (most recent call last):" in verbose.out
    assert 'raise RuntimeError("boom from the plugin")' in verbose.out
    assert "in always_raises" in verbose.out
