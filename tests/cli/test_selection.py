"""Selecting checks (SPEC §7): --select/--ignore, -k, --collect-only, --lf, exit 5.

The built-in catalogue used here:
    YTM100 config-invalid    tags: config
    YTM101 share-stub-mount  tags: share mount offline
    YTM102 share-degraded    tags: share mount
"""

from __future__ import annotations

import json
import re

import pytest

ALL = ["YTM100", "YTM101", "YTM102"]
# Exact lists of the checks run are over the share rules: other families leave the lists, so a
# rule added later does not change them. Scans that --lf must read are FULL scans (no selection,
# no --channel): only those replace latest.json, and the conftest world is healthy for all rules.
ONLY = ("--ignore", "YTM2,YTM3,YTM4,YTM5,YTM6,YTM7,YTM8")


def ran(cli, *args: str) -> list[str]:
    """The codes of the checks a scan ran (from its JSON report), not saving it."""
    res = cli("--json", "--no-save", *ONLY, *args)
    assert res.code in (0, 1), res.err
    return [c["code"] for c in res.json()["checks"]]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ALL),
        (["--select", "YTM1"], ALL),
        (["--select", "YTM101"], ["YTM101"]),
        (["--select", "ytm101"], ["YTM101"]),
        (["--select", "YTM100,YTM102"], ["YTM100", "YTM102"]),
        (["--select", "YTM100, YTM102"], ["YTM100", "YTM102"]),
        (["--select", "YTM100", "--select", "YTM102"], ["YTM100", "YTM102"]),
        (["--ignore", "YTM101"], ["YTM100", "YTM102"]),
        (["--ignore", "YTM100,YTM101"], ["YTM102"]),
        (["--ignore", "YTM100", "--ignore", "YTM102"], ["YTM101"]),
        (["--select", "YTM10", "--ignore", "YTM100"], ["YTM101", "YTM102"]),
    ],
)
def test_select_and_ignore_by_code_prefix(world, cli, args, expected) -> None:
    assert ran(cli, *args) == expected


def test_deselected_checks_are_counted(world, cli) -> None:
    total = len(cli("list", "--json").json())
    report = cli("--json", "--no-save", "--select", "YTM101").json()
    assert report["summary"]["checks_run"] == 1
    assert report["summary"]["checks_deselected"] == total - 1
    out = cli("--no-save", "--select", "YTM101").out
    assert f"collected 1 check ({total - 1} deselected)" in out


def test_a_deselected_rule_reports_nothing(world, cli) -> None:
    world.shared_base.rmdir()  # YTM102 finds this
    assert "YTM102" in cli("--json", "--no-save", *ONLY).json()["summary"]["by_rule"]
    report = cli("--json", "--no-save", *ONLY, "--ignore", "YTM102").json()
    assert report["findings"] == []
    assert report["summary"]["warnings_total"] == 0


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("share and not degraded", ["YTM101"]),
        ("share", ["YTM101", "YTM102"]),
        ("SHARE", ["YTM101", "YTM102"]),
        ("offline", ["YTM101"]),
        ("config or degraded", ["YTM100", "YTM102"]),
        ("not share", ["YTM100"]),
        ("(stub or degraded) and mount", ["YTM101", "YTM102"]),
        ("not (stub or config)", ["YTM102"]),
        ("mount and not (offline or config)", ["YTM102"]),
        ("YTM100", ["YTM100"]),
        ("config-invalid", ["YTM100"]),
    ],
)
def test_keyword_expression_over_names_and_tags(world, cli, expr, expected) -> None:
    assert ran(cli, "-k", expr) == expected


def test_keyword_combines_with_select(world, cli) -> None:
    assert ran(cli, "-k", "share", "--select", "YTM100,YTM102") == ["YTM102"]


def test_list_honours_the_same_selection(world, cli) -> None:
    res = cli("list", "--json", *ONLY, "-k", "share and not degraded")
    assert res.code == 0, res.err
    assert [r["code"] for r in res.json()] == ["YTM101"]
    assert [r["code"] for r in cli("list", "--json", *ONLY, "--ignore", "YTM10").json()] == []


@pytest.mark.parametrize(
    "expr", ["share and", "(share", "share)", "and", "not", "share or or config", "share $"]
)
def test_invalid_keyword_expression_is_a_usage_error(world, cli, expr) -> None:
    res = cli("-k", expr)
    assert res.code == 4
    assert len(res.err_lines) == 1, res.err
    assert res.err.startswith("ytm-doctor: error:")
    assert "-k" in res.err
    assert "Traceback" not in res.err
    assert not world.report_dir.exists()  # nothing ran, nothing saved


def test_collect_only_lists_and_runs_nothing(world, cli) -> None:
    # A world with a violation: had any check run, the exit code would be 1.
    world.configure(planning={"env_files": ["missing.env"]})
    res = cli("--collect-only", *ONLY)
    assert res.code == 0, res.err
    lines = [line for line in res.out.splitlines() if line.startswith("<")]
    assert lines == [
        "<YTM100 config-invalid violation plugin=config_paths>",
        "<YTM101 share-stub-mount warning plugin=share>",
        "<YTM102 share-degraded warning plugin=share>",
    ]
    assert "collected 3 checks (" in res.out
    assert "missing.env" not in res.out
    assert not world.report_dir.exists()


def test_collect_only_honours_the_selection(world, cli) -> None:
    res = cli("--collect-only", *ONLY, "-k", "share", "--ignore", "YTM102")
    assert res.code == 0
    assert [x for x in res.out.splitlines() if x.startswith("<")] == [
        "<YTM101 share-stub-mount warning plugin=share>"
    ]
    assert "collected 1 check" in res.out


def test_collect_only_with_nothing_selected_exits_5(world, cli) -> None:
    res = cli("--collect-only", "--select", "YTM1", "--ignore", "YTM1")
    assert res.code == 5
    assert re.search(r"collected 0 checks \(\d+ deselected\)", res.out)
    assert not world.report_dir.exists()


@pytest.mark.parametrize(
    "args",
    [["--select", "YTM1", "--ignore", "YTM1"], ["--ignore", "YTM"], ["-k", "nothing-matches-this"]],
)
def test_scan_with_nothing_selected_exits_5(world, cli, args) -> None:
    res = cli(*args)
    assert res.code == 5
    assert "no checks selected" in res.err


def test_empty_selection_does_not_replace_the_saved_history(world, cli) -> None:
    world.shared_base.rmdir()
    first = cli("--json")
    assert first.code == 0
    before = (world.report_dir / "latest.json").read_text()
    res = cli("--json", "--select", "YTM1", "--ignore", "YTM1")
    assert res.code == 5
    assert res.json()["summary"]["exit_code"] == 5
    assert (world.report_dir / "latest.json").read_text() == before
    assert len(world.saved_reports()) == 1


# ---------------------------------------------------------------------------------------------
# --lf
# ---------------------------------------------------------------------------------------------


def test_lf_reruns_only_the_rules_that_had_findings(world, cli) -> None:
    world.shared_base.rmdir()  # YTM102: uploads/factory_commentary/ is missing
    first = cli("--json")
    assert [f["rule"] for f in first.json()["findings"]] == ["YTM102"]

    res = cli("--lf", "--json")
    report = res.json()
    assert [c["code"] for c in report["checks"]] == ["YTM102"]
    assert [f["rule"] for f in report["findings"]] == ["YTM102"]
    assert report["summary"]["checks_deselected"] == len(cli("list", "--json").json()) - 1

    collected = cli("--lf", "--collect-only")
    assert [x for x in collected.out.splitlines() if x.startswith("<")] == [
        "<YTM102 share-degraded warning plugin=share>"
    ]


def test_lf_after_the_problem_is_fixed(world, cli) -> None:
    world.shared_base.rmdir()
    cli("--json")
    world.shared_base.mkdir()
    # The last full report still had YTM102: only it runs, and its finding is resolved.
    fixed = cli("--lf", "--json").json()
    assert [c["code"] for c in fixed["checks"]] == ["YTM102"]
    assert fixed["findings"] == []
    assert len(fixed["resolved"]) == 1
    # A --lf scan is partial: it does not replace the history, so --lf still reruns YTM102...
    assert ran(cli, "--lf") == ["YTM102"]
    # ...until a full scan records the clean state; then --lf runs everything, as pytest's does.
    assert cli("--json").json()["findings"] == []
    again = cli("--lf", "--json", *ONLY).json()
    assert [c["code"] for c in again["checks"]] == ALL


def test_lf_runs_everything_when_the_last_report_was_clean(world, cli) -> None:
    assert cli("--json").code == 0
    assert json.loads((world.report_dir / "latest.json").read_text())["findings"] == []
    assert ran(cli, "--lf") == ALL


def test_lf_runs_everything_without_a_previous_report(world, cli) -> None:
    assert not world.report_dir.exists()
    assert ran(cli, "--lf") == ALL


def test_lf_ignores_no_save_runs(world, cli) -> None:
    world.shared_base.rmdir()
    cli("--json")  # saved: YTM102 had a finding
    world.shared_base.mkdir()
    cli("--json", "--no-save")  # clean and full, but not saved
    assert ran(cli, "--lf") == ["YTM102"]


def test_lf_combines_with_select(world, cli) -> None:
    world.shared_base.rmdir()
    world.configure(planning={"env_files": ["missing.env"]})
    last = cli("--json").json()
    assert sorted(last["summary"]["by_rule"]) == ["YTM100", "YTM102"]
    assert ran(cli, "--lf") == ["YTM100", "YTM102"]
    assert ran(cli, "--lf", "--select", "YTM102") == ["YTM102"]


def test_lf_reads_the_latest_saved_report(world, cli) -> None:
    world.shared_base.rmdir()
    cli("--json")
    latest = json.loads((world.report_dir / "latest.json").read_text())
    assert {f["rule"] for f in latest["findings"]} == {"YTM102"}
    # An unreadable history is no history: run everything rather than crash.
    (world.report_dir / "latest.json").write_text("{not json")
    assert ran(cli, "--lf") == ALL
