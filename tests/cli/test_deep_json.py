"""JSON nested far too deeply (`[` x 100,000), wherever ytm-doctor reads JSON from disk: every
reader goes through ytm_doctor.jsonio, so each is one finding, warning or usage error (never a
RecursionError, exit 3), and a latest.json like that costs one warning, not every later scan.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DEEP = "[" * 100_000 + "]" * 100_000
OK_CODES = {0, 1, 2, 4, 5}


def no_traceback(result) -> None:
    assert result.code in OK_CODES, result.err
    assert "Traceback" not in result.err and "RecursionError" not in result.err


def test_deep_status_json_is_an_input_problem(world, cli):
    world.write("ws/scripts/CH01/001/status.json", DEEP)
    result = cli("--json", "--no-save")
    no_traceback(result)
    report = result.json()
    problems = [e for e in report["errors"] if e.get("path", "").endswith("status.json")]
    assert [p["message"] for p in problems] == ["status.json is not valid JSON: nested too deeply"]
    assert not [e for e in report["errors"] if e.get("kind") != "input"]  # no check errored


def test_deep_store_manifest_is_a_finding(world, cli):
    rel = "manifests/scripts/20260101T000000Z__CH01-001.json"
    (world.shared_base / rel).parent.mkdir(parents=True)
    (world.shared_base / rel).write_text(DEEP)
    result = cli("--json", "--no-save")
    no_traceback(result)
    report = result.json()
    assert any("nested too deeply" in f["message"] for f in report["findings"])
    assert not [e for e in report["errors"] if e.get("kind") != "input"]


def test_deep_latest_json_is_one_warning_and_replaced(world, cli):
    assert cli().code == 0  # a first saving scan: latest.json exists
    latest = world.report_dir / "latest.json"
    latest.write_text(DEEP)
    result = cli()
    no_traceback(result)
    assert result.code == 0
    warnings = [line for line in result.err_lines if "latest.json" in line]
    assert len(warnings) == 1 and "nested too deeply" in warnings[0], result.err
    assert "warning" in warnings[0]
    assert json.loads(latest.read_text())["findings"] == []  # replaced by this scan's report
    again = cli()
    assert again.code == 0 and again.err == ""


def test_deep_latest_json_with_last_failed_is_one_warning(world, cli):
    world.report_dir.mkdir(parents=True)
    (world.report_dir / "latest.json").write_text(DEEP)
    result = cli("--lf")
    no_traceback(result)
    assert len([line for line in result.err_lines if "latest.json" in line]) == 1


def test_latest_json_that_is_no_report_is_one_warning(world, cli):
    world.report_dir.mkdir(parents=True)
    (world.report_dir / "latest.json").write_text('["not", "a", "report"]')
    result = cli()
    assert result.code == 0
    assert len(result.err_lines) == 1 and "latest.json" in result.err


def test_deep_baseline_is_a_usage_error(world, cli):
    world.write("baseline.json", DEEP)
    result = cli("--baseline", "baseline.json")
    no_traceback(result)
    assert result.code == 4
    assert result.err_lines == [
        f"ytm-doctor: error: baseline {world.root / 'baseline.json'} is not valid JSON: "
        "nested too deeply"
    ]


def test_deep_plan_is_a_usage_error(world, cli):
    world.write("plan.json", DEEP)
    result = cli("apply", "plan.json", "--run")
    no_traceback(result)
    assert result.code == 4
    assert "nested too deeply" in result.err
    assert not world.report_dir.exists()  # nothing journaled: nothing ran


def test_deep_journal_line_is_skipped(world, cli):
    world.report_dir.mkdir(parents=True)
    journal = world.report_dir / "journal__20260101T000000Z-abcdef.jsonl"
    header = {"type": "run", "run_id": "20260101T000000Z-abcdef", "command": "fix"}
    journal.write_text(json.dumps(header) + "\n" + DEEP + "\n")
    listed = cli("undo", "--list")
    no_traceback(listed)
    assert "20260101T000000Z-abcdef" in listed.out
    undone = cli("undo", "20260101T000000Z-abcdef", "--run")
    no_traceback(undone)


def _json_reads(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ("load", "loads")
        and isinstance(node.value, ast.Name)
        and node.value.id == "json"
    ]


@pytest.mark.parametrize("folder", ["ytm_doctor", "checks", "fixers", "reports", "plugins"])
def test_json_is_read_only_through_jsonio(folder):
    # The package's own data (ssot/) is the one JSON not read from the user's disk.
    allowed = {ROOT / "ytm_doctor" / "jsonio.py", ROOT / "ytm_doctor" / "ssot_files.py"}
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in allowed
        for line in _json_reads(path)
    ]
    assert found == []
