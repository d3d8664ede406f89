"""Report retention (--keep-reports) and --publish to <share>/_reports/."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest

from ytm_doctor.identity import safe_host
from ytm_doctor.reports.publish import prune_reports


def old_report(report_dir: Path, stamp: str, html: bool = True) -> list[Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = [report_dir / f"report__{stamp}.json"]
    if html:
        paths.append(report_dir / f"report__{stamp}.html")
    for path in paths:
        path.write_text(f"old report {stamp}")
    return paths


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_keep_reports_prunes_only_the_oldest_reports(world, cli) -> None:
    rd = world.report_dir
    for day in range(1, 6):
        old_report(rd, f"202401{day:02d}T000000Z")
    bystanders = {
        rd / "notes.txt": "mine",
        rd / "report__bad.json": "not a stamp",
        rd / "report__20240101T000000Z.json.bak": "a backup",
        rd / "REPORT__20240101T000000Z.json": "other case",
        rd / "journal__x.jsonl": "{}",
        rd / "audit.jsonl": "{}",
        rd / "old" / "report__20200101T000000Z.json": "in a subdirectory",
        world.root / "report__20200101T000000Z.json": "outside the report dir",
    }
    for path, text in bystanders.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    # A link named like a report leads elsewhere: neither it nor its target is touched.
    target = world.root / "precious.json"
    target.write_text("precious")
    os.symlink(target, rd / "report__20190101T000000Z.json")
    before = {p: digest(p) for p in bystanders}
    existing = set(world.saved_reports())

    res = cli("--keep-reports", "3")
    assert res.code == 0, res.err
    [new] = [p for p in world.saved_reports() if p not in existing]
    names = sorted(p.name for p in rd.glob("report__2024*") if p not in bystanders)
    assert names == [
        "report__20240104T000000Z.html",
        "report__20240104T000000Z.json",
        "report__20240105T000000Z.html",
        "report__20240105T000000Z.json",
    ]
    assert new.is_file() and new.with_suffix(".html").is_file()
    assert {p: digest(p) for p in bystanders} == before
    assert os.path.islink(rd / "report__20190101T000000Z.json")
    assert target.read_text() == "precious"
    assert (rd / "latest.json").is_file() and (rd / "latest.html").is_file()


def test_default_keeps_200_reports(world, cli) -> None:
    for i in range(200):
        old_report(world.report_dir, f"2023{1 + i // 28:02d}{1 + i % 28:02d}T000000Z", html=False)
    assert cli().code == 0
    reports = sorted(world.report_dir.glob("report__*.json"))
    assert len(reports) == 200
    assert reports[0].name == "report__20230102T000000Z.json"  # only the very oldest went


def test_keep_reports_zero_keeps_everything(world, cli) -> None:
    for day in range(1, 4):
        old_report(world.report_dir, f"202401{day:02d}T000000Z")
    assert cli("--keep-reports", "0").code == 0
    assert len(list(world.report_dir.glob("report__*.json"))) == 4


@pytest.mark.parametrize("bad", ["-1", "many", "1.5"])
def test_bad_keep_reports_is_a_usage_error(world, cli, bad: str) -> None:
    res = cli("--keep-reports", bad)
    assert res.code == 4 and len(res.err_lines) == 1 and "--keep-reports" in res.err
    assert world.saved_reports() == []


def test_no_save_prunes_nothing(world, cli) -> None:
    for day in range(1, 4):
        old_report(world.report_dir, f"202401{day:02d}T000000Z")
    assert cli("--no-save", "--keep-reports", "1").code == 0
    assert len(list(world.report_dir.glob("report__*.json"))) == 3


def test_the_report_just_saved_is_kept_even_if_the_clock_went_back(tmp_path) -> None:
    future = old_report(tmp_path, "29990101T000000Z")
    [just_saved] = old_report(tmp_path, "20240101T000000Z", html=False)
    removed = prune_reports(tmp_path, 1, protect=just_saved)
    assert just_saved.exists()
    assert sorted(removed) == sorted(future)


def test_two_reports_of_the_same_second_count_as_two(tmp_path) -> None:
    old_report(tmp_path, "20240101T000000Z")
    old_report(tmp_path, "20240101T000000Z__a1b2c3")
    old_report(tmp_path, "20231231T235959Z")
    removed = prune_reports(tmp_path, 2)
    assert sorted(p.name for p in removed) == [
        "report__20231231T235959Z.html",
        "report__20231231T235959Z.json",
    ]


def test_publish_copies_latest_to_the_share(world, cli) -> None:
    res = cli("--publish")
    assert res.code == 0, res.err
    host = safe_host(socket.gethostname())
    published = world.share / "_reports"
    for suffix in (".json", ".html"):
        copy = published / f"ytm_doctor__{host}{suffix}"
        assert copy.read_bytes() == (world.report_dir / f"latest{suffix}").read_bytes()
    assert sorted(p.name for p in published.iterdir()) == [
        f"ytm_doctor__{host}.html",
        f"ytm_doctor__{host}.json",
    ]
    # The next publish replaces them with the newer report.
    os.symlink("gone", world.ws / "dangling")
    assert cli("--publish").code == 1
    copy = published / f"ytm_doctor__{host}.json"
    assert copy.read_bytes() == (world.report_dir / "latest.json").read_bytes()
    assert b"YTM301" in copy.read_bytes()


def test_publish_while_the_share_is_a_stub_writes_nothing_into_it(world, cli) -> None:
    (world.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    res = cli("--publish")
    assert res.code == 0
    [line] = [ln for ln in res.err_lines if "--publish" in ln]
    assert "share is stub" in line
    assert not (world.share / "_reports").exists()
    assert (world.report_dir / "latest.json").is_file()  # saved locally all the same


def test_publish_of_a_narrowed_scan_is_skipped(world, cli) -> None:
    res = cli("--publish", "--select", "YTM1")
    assert res.code == 0
    assert "narrowed" in res.err
    assert not (world.share / "_reports").exists()


def test_publish_refuses_a_reports_dir_that_is_a_symlink(world, cli, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, world.share / "_reports")
    res = cli("--publish")
    assert res.code == 0
    assert "is a symlink" in res.err
    assert list(elsewhere.iterdir()) == []


def test_publish_with_no_save_says_there_is_nothing_to_publish(world, cli) -> None:
    res = cli("--publish", "--no-save")
    assert res.code == 0
    assert "nothing to publish" in res.err
    assert not (world.share / "_reports").exists()


def test_host_names_are_made_safe_for_file_names() -> None:
    assert safe_host("mac-mini.local") == "mac-mini.local"
    assert safe_host("a/b\\c:d e") == "a_b_c_d_e"
    assert safe_host("..") == "unknown-host"
