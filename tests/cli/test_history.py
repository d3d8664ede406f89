"""`ytm-doctor history` over real saved reports: a demo scanned five times while its tree changes
and the share goes down once; and each JSON finding's `new` and `next_step`."""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ytm_doctor.cli import main
from ytm_doctor.clock import parse_utc as parse_time
from ytm_doctor.demo import DemoInfo, build_demo
from ytm_doctor.history import read_history
from ytm_doctor.ssot_files import report_schema

ROOM = ("--set", "disk.stop_free_gib=0", "--set", "disk.warn_free_gib=0")
VALIDATOR = Draft202012Validator(report_schema())


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(*argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([os.fspath(a) for a in argv])
    return Run(code, out.getvalue(), err.getvalue())


@dataclass
class Scanned:
    demo: DemoInfo
    reports: list[dict[str, Any]]  # each scan's saved JSON report, oldest first
    report_dir: Path

    def history(self, *argv: str) -> Run:
        return run("history", "--config", self.demo.config, *argv)


def dangle(demo: DemoInfo, name: str) -> Path:
    link = demo.dest / "workspaces" / "junk" / name
    link.parent.mkdir(exist_ok=True)
    os.symlink("/nonexistent/target.mp4", link)
    return link


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """Five real scans of the demo:
    1. as built;  2. links `kept.mp4` and `flaky.mp4` added (two new violations);
    3. the same Mac with the share down (Vault not walked: fewer findings, nothing better);
    4. `flaky.mp4` removed (resolved);  5. `flaky.mp4` back (open again, since scan 5)."""
    demo = build_demo(tmp_path_factory.mktemp("history") / "factory")
    report_dir = demo.dest / "workspaces" / "logs" / "ops" / "ytm_doctor"
    reports = []

    def scan(config: Path) -> None:
        before = set(report_dir.glob("report__*.json")) if report_dir.is_dir() else set()
        result = run("--config", config, "-q", *ROOM)
        assert result.code == 1, result.err
        [saved] = set(report_dir.glob("report__*.json")) - before
        reports.append(json.loads(saved.read_text(encoding="utf-8")))

    scan(demo.config)
    dangle(demo, "kept.mp4")
    flaky = dangle(demo, "flaky.mp4")
    scan(demo.config)
    scan(demo.offline_config)
    flaky.unlink()
    scan(demo.config)
    dangle(demo, "flaky.mp4")
    scan(demo.config)
    return Scanned(demo, reports, report_dir)


def junk_finding(report: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [f for f in report["findings"] if f["path"] == f"junk/{name}"]
    return found


def test_every_scan_is_a_point_with_its_counts_and_the_outage_is_marked(scanned: Scanned) -> None:
    result = scanned.history("--json")
    assert result.code == 0 and result.err == ""
    data = result.json()
    scans = data["scans"]
    assert [s["run_id"] for s in scans] == [r["run"]["id"] for r in scanned.reports]
    for point, report in zip(scans, scanned.reports, strict=True):
        assert point["violations"] == report["summary"]["violations_total"]
        assert point["warnings"] == report["summary"]["warnings_total"]
        assert point["unknown"] == len(report["unknown"])
    assert scans[1]["violations"] == scans[0]["violations"] + 2
    assert scans[3]["violations"] == scans[1]["violations"] - 1

    # The outage scan shows fewer violations, and says it could not check everything.
    outage = scans[2]
    assert outage["violations"] < scans[1]["violations"]
    assert outage["share"] != "online" and outage["full"] is True
    assert outage["complete"] is False and outage["unknown"] > 0
    assert any("Vault not walked" in why for why in outage["unchecked"])
    assert [s["complete"] for s in scans] == [True, True, False, True, True]

    # The trend compares the last two complete scans (4 -> 5: the flaky link came back).
    assert data["trend"] == {
        "from": scans[3]["run_id"],
        "to": scans[4]["run_id"],
        "violations": 1,
        "warnings": 0,
    }


def test_how_long_each_open_finding_has_been_open(scanned: Scanned) -> None:
    data = scanned.history("--json").json()
    starts = [parse_time(r["run"]["started"]) for r in scanned.reports]
    last = scanned.reports[-1]
    opened = {f["fingerprint"]: f for f in data["open"]}
    # The open findings are the last scan's, and nothing else.
    assert set(opened) == {f["fingerprint"] for f in last["findings"]}

    kept = opened[junk_finding(last, "kept.mp4")["fingerprint"]]
    assert parse_time(kept["first_seen"]) == starts[1]  # the outage did not restart its clock
    assert kept["at_least"] is False
    assert kept["open_s"] == int((starts[4] - starts[1]).total_seconds())

    flaky = opened[junk_finding(last, "flaky.mp4")["fingerprint"]]
    assert parse_time(flaky["first_seen"]) == starts[4]  # resolved in scan 4, back in scan 5

    # A finding planted in the demo has been there since the oldest report kept: "at least".
    [vault] = [f for f in last["findings"] if f["root"] == "vault" and f["rule"] == "YTM202"]
    planted = opened[vault["fingerprint"]]
    assert parse_time(planted["first_seen"]) == starts[0] and planted["at_least"] is True


def test_text_output_and_last(scanned: Scanned) -> None:
    result = scanned.history()
    assert result.code == 0 and result.err == ""
    lines = result.out.splitlines()
    assert lines[0].startswith(f"5 saved scans in {scanned.report_dir}")
    rows = [line for line in lines if line.startswith("  20")]
    assert len(rows) == 5
    assert "NOT everything checked" in rows[2] and "Vault not walked" in rows[2]
    assert all("NOT" not in row for row in rows[:2] + rows[3:])
    assert any(line.startswith("trend: violations") for line in lines)
    n_open = len(scanned.reports[-1]["findings"])
    header = f"open findings of the last full scan ({n_open}), longest open first:"
    # Longest open first: the demo's own findings, open at least since the oldest report.
    assert lines[lines.index(header) + 1].lstrip().startswith(">= ")
    assert lines[-1] == f"  ... and {n_open - 20} more (--json lists them all)"

    last_two = scanned.history("--last", "2", "--json").json()
    assert [s["run_id"] for s in last_two["scans"]] == [
        r["run"]["id"] for r in scanned.reports[-2:]
    ]
    # Open durations still count the scans --last leaves out.
    assert last_two["open"] == scanned.history("--json").json()["open"]
    assert "the newest 2 shown" in scanned.history("--last", "2").out


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_bad_last_is_one_line_and_exit_4(scanned: Scanned, value: str) -> None:
    result = scanned.history("--last", value)
    assert result.code == 4 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and "--last" in result.err


def test_garbage_report_files_are_skipped_with_one_line_each(tmp_path: Path, scanned: Scanned):
    copy = tmp_path / "reports"
    copy.mkdir()
    for path in scanned.report_dir.glob("report__*.json"):
        (copy / path.name).write_bytes(path.read_bytes())
    (copy / "report__20200101T000000Z.json").write_text('{"torn": ', encoding="utf-8")
    (copy / "report__20200102T000000Z.json").write_text('{"run": {}}', encoding="utf-8")
    (copy / "report__20200103T000000Z.json").write_text("[1, 2]", encoding="utf-8")
    history = read_history(copy)
    assert len(history.points) == 5
    assert len(history.skipped) == 3
    assert all("\n" not in line for line in history.skipped)
    assert any("20200101T000000Z" in line for line in history.skipped)

    # Through the command: one warning line per file on stderr, the history still printed.
    bad = scanned.report_dir / "report__20200101T000000Z.json"
    bad.write_text('{"torn": ', encoding="utf-8")
    try:
        result = scanned.history("--json")
    finally:
        bad.unlink()
    assert result.code == 0
    [warning] = result.err.splitlines()
    assert warning.startswith("ytm-doctor: warning: skipped") and bad.name in warning
    assert len(result.json()["scans"]) == 5


def test_no_saved_reports_is_said_plainly(tmp_path: Path) -> None:
    demo_less = tmp_path / "ws"
    demo_less.mkdir()
    result = run("history", "--workspace-root", demo_less, "--share-root", tmp_path / "share")
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("no saved reports in")


# ---------------------------------------------------------------------------------------------
# The JSON report's `new` and `next_step`
# ---------------------------------------------------------------------------------------------


def test_each_finding_says_whether_it_is_new(scanned: Scanned) -> None:
    first, second, outage, fourth, fifth = scanned.reports
    assert all(f["new"] is True for f in first["findings"])  # no previous report
    new_in_second = {f["path"] for f in second["findings"] if f["new"]}
    assert new_in_second == {"junk/kept.mp4", "junk/flaky.mp4"}
    assert set(second["new"]) == {f["fingerprint"] for f in second["findings"] if f["new"]}
    # After the outage nothing is new: what it could not check was carried, not forgotten.
    assert not any(f["new"] for f in fourth["findings"])
    assert all("new" not in item for item in outage["unknown"])
    assert {f["path"] for f in fifth["findings"] if f["new"]} == {"junk/flaky.mp4"}


def test_a_finding_without_a_fix_says_what_to_do_instead(scanned: Scanned) -> None:
    report = scanned.reports[-1]
    for finding in report["findings"]:
        if finding["fix"] is None:
            step = finding["next_step"]
            assert f"`ytm-doctor explain {finding['rule']}`" in step
            assert "\n" not in step and step.endswith(".") and "§" not in step
        else:
            assert "next_step" not in finding
    link = junk_finding(report, "kept.mp4")  # YTM301 outside video/input/: no fixer takes it
    assert link["fix"] is None
    assert link["next_step"] == (
        "Find what the link was meant to reach (`details.target`, the run's or episode's history"
        " in `video/_archive/*/archive_report.json`) (the whole manual fix: "
        "`ytm-doctor explain YTM301`)."
    )
    assert any(f["fix"] for f in report["findings"])  # both kinds were seen
    for saved in scanned.reports:
        VALIDATOR.validate(saved)  # the schema requires `new`, and next_step without a fix


def test_a_report_dir_that_is_a_file_is_one_line_and_exit_4(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "logs" / "ops").mkdir(parents=True)
    (ws / "logs" / "ops" / "ytm_doctor").write_text("not a directory", encoding="utf-8")
    result = run("history", "--workspace-root", ws, "--share-root", tmp_path / "share")
    assert result.code == 4 and result.out == ""
    [line] = result.err.splitlines()
    assert "cannot read the saved reports" in line and "Traceback" not in result.err


def test_scans_saved_in_one_second_are_read_in_the_order_they_ran(tmp_path: Path) -> None:
    """Three scans in one second: the names sort as the scans ran, so the history (and the
    trend) never shows them shuffled."""
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from ytm_doctor.history import saved_report_files
    from ytm_doctor.saved_reports import saved_report_in

    second = datetime(2026, 12, 6, 5, 0, 0, tzinfo=timezone.utc)
    ran = []
    for micro, run_hex in ((10, "7a7a7a"), (500_000, "ffffff"), (999_999, "000000")):
        started = second.replace(microsecond=micro)
        run = SimpleNamespace(
            started=started,
            stamp=started.strftime("%Y%m%dT%H%M%SZ"),
            id=f"{started:%Y%m%dT%H%M%SZ}-{run_hex}",
        )
        saved = saved_report_in(tmp_path, SimpleNamespace(run=run, full_scan=True))
        saved.json.write_text("{}", encoding="utf-8")
        ran.append(saved.json)
    assert saved_report_files(tmp_path) == ran
