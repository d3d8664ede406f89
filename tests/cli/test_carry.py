"""A share outage on the demo factory, through the real CLI: what the scan could not judge while
the share was down is carried as unknown, never resolved, and not new once the share is back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ytm_doctor.carry import Unchecked
from ytm_doctor.demo import build_demo
from ytm_doctor.report import compare_with_previous
from ytm_doctor.ssot_files import report_schema

VALIDATOR = Draft202012Validator(report_schema())


def scan(dest: Path, config: str) -> tuple[int, dict[str, Any], str]:
    """One saving scan with the terminal report, then the report it saved (latest.json)."""
    env = dict(os.environ, NO_COLOR="1")
    done = subprocess.run(
        [sys.executable, "-m", "ytm_doctor", "scan", "--config", str(dest / config)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    latest = dest / "workspaces" / "logs" / "ops" / "ytm_doctor" / "latest.json"
    report = json.loads(latest.read_text(encoding="utf-8"))
    errors = [e.message for e in VALIDATOR.iter_errors(report)]
    assert not errors, errors
    assert done.returncode in (0, 1), done.stderr  # never an internal error
    assert report["summary"]["exit_code"] == done.returncode
    return done.returncode, report, done.stdout


def fingerprints(items: list[dict[str, Any]]) -> set[str]:
    return {item["fingerprint"] for item in items}


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    dest = tmp_path_factory.mktemp("carry") / "factory"
    build_demo(dest)
    scans = SimpleNamespace(dest=dest)
    scans.online = scan(dest, "ytm-doctor.yaml")
    scans.stub = scan(dest, "ytm-doctor.offline.yaml")
    scans.stub_again = scan(dest, "ytm-doctor.offline.yaml")
    # A problem that appears while the share is down: the next online scan finds it new.
    vault = dest / "share" / "ytm_workspaces"
    os.symlink("/nowhere/absolute/target", vault / "outage_link")
    scans.back = scan(dest, "ytm-doctor.yaml")
    return scans


def test_the_stub_scan_resolves_nothing_it_did_not_check(outage: SimpleNamespace) -> None:
    _, online, _ = outage.online
    rc, stub, _ = outage.stub
    assert stub["config"]["share"]["status"] != "online"
    assert stub["resolved"] == []
    before = fingerprints(online["findings"])
    carried = fingerprints(stub["unknown"])
    assert carried and carried <= before
    # Every finding of the online scan is found again or carried: none silently dropped.
    assert before <= carried | fingerprints(stub["findings"])
    assert not carried & fingerprints(stub["findings"])
    assert {item["root"] for item in stub["unknown"]} >= {"vault", "share"}
    for item in stub["unknown"]:
        assert item["status"] == "unknown"
        assert item["unknown_since"] == online["run"]["started"]
    summary = stub["summary"]
    assert summary["unknown_total"] == len(stub["unknown"])
    assert summary["violations_total"] == sum(
        1 for f in stub["findings"] if f["severity"] == "violation"
    )
    assert rc == 1


def test_the_terminal_shows_carried_findings_apart(outage: SimpleNamespace) -> None:
    _, online, _ = outage.online
    _, stub, out = outage.stub
    assert "not checked this time" in out
    section = out.split("not checked this time", 1)[1]
    assert f"last seen {online['run']['started']}" in section
    assert "UNKNOWN   YTM201" in section
    assert f"{len(stub['unknown'])} unknown" in out.splitlines()[-1]


def test_the_html_report_shows_carried_findings_apart(outage: SimpleNamespace) -> None:
    # latest.html is a later scan's by now: the stub scan's own page is its JSON's twin.
    _, stub, _ = outage.stub
    saved = outage.dest / "workspaces" / "logs" / "ops" / "ytm_doctor"
    twin = next(
        path
        for path in saved.glob("report__*.json")
        if json.loads(path.read_text(encoding="utf-8"))["run"]["id"] == stub["run"]["id"]
    )
    page = twin.with_suffix(".html").read_text(encoding="utf-8")
    assert 'id="unknown"' in page
    assert page.count("<td>unknown</td>") == len(stub["unknown"])


def test_a_second_stub_scan_still_carries_them_since_the_same_time(
    outage: SimpleNamespace,
) -> None:
    _, online, _ = outage.online
    _, stub, _ = outage.stub
    _, again, _ = outage.stub_again
    assert again["resolved"] == [] and again["new"] == []
    assert fingerprints(again["unknown"]) == fingerprints(stub["unknown"])
    assert {item["unknown_since"] for item in again["unknown"]} == {online["run"]["started"]}


def test_back_online_nothing_old_is_new_and_new_problems_are(outage: SimpleNamespace) -> None:
    _, online, _ = outage.online
    _, again, _ = outage.stub_again
    _, back, _ = outage.back
    assert back["unknown"] == []
    new = {f["fingerprint"]: f for f in back["findings"] if f["fingerprint"] in back["new"]}
    assert not set(new) & fingerprints(online["findings"])
    assert [(f["rule"], f["path"]) for f in new.values()] == [("YTM202", "outage_link")]
    # The offline-only finding (the stub itself) is what resolves.
    gone = set(back["resolved"])
    assert gone and gone <= fingerprints(again["findings"])
    assert not gone & fingerprints(again["unknown"])


def _finding(rule: str, root: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"rule": rule, "root": root, "path": path, "fingerprint": f"{rule}-{path}", **extra}


def test_a_rule_that_errored_carries_instead_of_resolving() -> None:
    scope = SimpleNamespace(includes=lambda channel, video: True)
    report = SimpleNamespace(
        findings=[],
        baselined=[],
        outcomes=[
            SimpleNamespace(code="YTM301", error="boom"),
            SimpleNamespace(code="YTM302", error=None),
        ],
    )
    previous = {
        "run": {"id": "r1", "started": "2026-01-01T00:00:00.000Z"},
        "findings": [_finding("YTM301", "workspace", "a"), _finding("YTM302", "workspace", "b")],
        "unknown": [
            _finding(
                "YTM301",
                "workspace",
                "c",
                status="unknown",
                unknown_since="2025-12-31T00:00:00.000Z",
            )
        ],
    }
    compare_with_previous(report, previous, scope, Unchecked(rules=frozenset({"YTM301"})))
    assert report.resolved == ["YTM302-b"]
    since = {item["fingerprint"]: item["unknown_since"] for item in report.unknown}
    assert since == {"YTM301-a": "2026-01-01T00:00:00.000Z", "YTM301-c": "2025-12-31T00:00:00.000Z"}
    assert report.new == []
