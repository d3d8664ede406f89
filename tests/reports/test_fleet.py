"""`ytm-doctor fleet`: two hosts' published reports of the demo (the Mac's main view and the
gateway's degraded view) side by side, in the terminal, as JSON and as an HTML page opened in
real Chromium; hosts not reporting, garbage report files and an offline share."""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_html import ARTIFACTS, Opened, browser  # noqa: F401 - browser is a fixture

from ytm_doctor.cli import main
from ytm_doctor.demo import build_demo

NO_DISK = ("--set", "disk.stop_free_gib=0", "--set", "disk.warn_free_gib=0")


def publish(dest: Path, config: str, host: str) -> None:
    """A full saving scan of one view with --publish, as host `host`."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("YTM_"):
                mp.delenv(name)
        mp.setenv("YTM_DOCTOR_HOST", host)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["--config", os.fspath(dest / config), "--publish", "-q", *NO_DISK])


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, published by "mac" (main view) and by "gateway" (gateway view). Both hosts
    mount the same share in life; here the gateway view's share is its own directory, so its
    published file is copied to where the Mac's share holds the others."""
    dest = tmp_path_factory.mktemp("fleet") / "factory"
    build_demo(dest)
    publish(dest, "ytm-doctor.yaml", "mac")
    publish(dest, "ytm-doctor.gateway.yaml", "gateway")
    shutil.copy(
        dest / "gateway" / "share" / "_reports" / "ytm_doctor__gateway.json",
        dest / "share" / "_reports" / "ytm_doctor__gateway.json",
    )
    return dest


@pytest.fixture
def fleet_dir(factory: Path, tmp_path: Path) -> Iterator[Path]:
    """The published reports, restored after a test that adds or ages some."""
    reports = factory / "share" / "_reports"
    saved = tmp_path / "saved_reports"
    shutil.copytree(reports, saved)
    yield reports
    shutil.rmtree(reports)
    shutil.copytree(saved, reports)


def fleet(cli, factory: Path, *extra: str, config: str = "ytm-doctor.yaml"):
    return cli("fleet", "--config", factory / config, *extra)


def test_two_hosts_side_by_side_with_what_one_sees_and_the_other_not(cli, factory, monkeypatch):
    monkeypatch.setenv("YTM_DOCTOR_HOST", "mac")
    result = fleet(cli, factory, "--json")
    assert result.code == 0 and result.err == ""
    data = result.json()
    hosts = {h["host"]: h for h in data["hosts"]}
    assert sorted(hosts) == ["gateway", "mac"]
    assert hosts["mac"]["this_host"] and not hosts["gateway"]["this_host"]
    assert hosts["mac"]["share_status"] == "online"
    assert hosts["gateway"]["share_status"] == "degraded"
    assert {h["state"] for h in hosts.values()} == {"reporting"}
    mac = json.loads((factory / "share/_reports/ytm_doctor__mac.json").read_text())
    assert hosts["mac"]["counts"]["violations"] == mac["summary"]["violations_total"]
    assert hosts["mac"]["findings"] == len(mac["findings"])
    by_rule = {}
    for d in data["differences"]:
        by_rule.setdefault(d["rule"], []).append(d)
    # The gateway mounted the wrong export (YTM102); only the Mac sees the store's problems.
    assert [d["seen_by"] for d in by_rule["YTM102"]] == [["gateway"]]
    assert by_rule["YTM102"][0]["not_seen_by"] == ["mac"]
    assert all(d["seen_by"] == ["mac"] for d in by_rule["YTM702"])
    # A finding both have is no difference.
    gateway = json.loads((factory / "share/_reports/ytm_doctor__gateway.json").read_text())
    both = {f["fingerprint"] for f in mac["findings"]} & {
        f["fingerprint"] for f in gateway["findings"]
    }
    assert both and not both & {d["fingerprint"] for d in data["differences"]}
    severities = [d["severity"] for d in data["differences"]]
    assert severities == sorted(severities, key=["violation", "warning", "info"].index)


def test_terminal_table_marks_this_host_and_lists_differences(cli, factory, monkeypatch):
    monkeypatch.setenv("YTM_DOCTOR_HOST", "gateway")
    result = fleet(cli, factory)
    assert result.code == 0 and "\x1b[" not in result.out
    lines = result.out.splitlines()
    header = next(line for line in lines if line.startswith("host"))
    gateway = next(line for line in lines if line.startswith("gateway*"))
    mac = next(line for line in lines if line.startswith("mac "))
    # Aligned: each row's share column starts where the header's does.
    column = header.index("share")
    assert gateway[column:].startswith("degraded") and mac[column:].startswith("online")
    assert "(* this host)" in lines
    assert any("YTM102  only on gateway: share:." in line for line in lines)


def test_a_host_whose_report_is_old_is_not_reporting(cli, factory, fleet_dir):
    path = fleet_dir / "ytm_doctor__gateway.json"
    data = json.loads(path.read_text())
    data["run"]["started"] = data["run"]["ended"] = "2026-01-01T00:00:00.000Z"
    path.write_text(json.dumps(data))
    result = fleet(cli, factory, "--json")
    hosts = {h["host"]: h for h in result.json()["hosts"]}
    assert hosts["gateway"]["state"] == "not-reporting"
    assert hosts["mac"]["state"] == "reporting"
    assert result.code == 1
    # The age is configurable: a year is fine when the limit says so.
    relaxed = fleet(cli, factory, "--json", "--set", "fleet.stale_after_minutes=1e9")
    assert relaxed.code == 0


def test_garbage_report_files_are_one_warning_line_each(cli, factory, fleet_dir):
    (fleet_dir / "ytm_doctor__torn.json").write_text('{"run": {"id"')
    (fleet_dir / "ytm_doctor__list.json").write_text("[1, 2]")
    (fleet_dir / "ytm_doctor__other.json").write_text('{"hello": "world"}')
    (fleet_dir / "notes.json").write_text("not a report name: ignored")
    result = fleet(cli, factory)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 3
    assert all(
        line.startswith("ytm-doctor: warning: published report ") for line in result.err_lines
    )
    unreadable = [line.split()[0] for line in result.out.splitlines() if "unreadable" in line]
    assert sorted(unreadable) == ["list", "other", "torn"]


def test_offline_view_is_one_line_and_exit_1(cli, factory):
    result = fleet(cli, factory, "--json", config="ytm-doctor.offline.yaml")
    assert result.code == 1 and result.out == ""
    assert result.err_lines == [
        f"ytm-doctor: fleet: the share at {factory / 'offline' / 'share'} is down: a "
        "mountpoint stub (not mounted): no host's published report can be read"
    ]


def test_gateway_view_sees_only_its_own_report(cli, factory):
    result = fleet(cli, factory, "--json", config="ytm-doctor.gateway.yaml")
    data = result.json()
    assert [h["host"] for h in data["hosts"]] == ["gateway"]
    assert data["differences"] == [] and result.code == 0


def test_html_path_that_cannot_be_written_is_refused_first(cli, factory, tmp_path):
    result = fleet(cli, factory, "--html", tmp_path / "no" / "such" / "fleet.html")
    assert result.code == 4 and result.out == ""
    assert result.err_lines == [
        f"ytm-doctor: error: --html {tmp_path / 'no' / 'such' / 'fleet.html'}: "
        "its directory does not exist"
    ]


def test_fleet_page_in_chromium_with_a_screenshot(browser, cli, factory, fleet_dir, tmp_path):  # noqa: F811
    # A hostile host publishes a finding whose message is markup: it must stay text.
    hostile = json.loads((fleet_dir / "ytm_doctor__gateway.json").read_text())
    hostile["run"]["host"] = "evil"
    hostile["findings"] = hostile["findings"][:1]
    hostile["findings"][0] = {
        **hostile["findings"][0],
        "fingerprint": "feedfacefeedfacefeedface",
        "message": '<img src=x onerror="alert(1)"><script>alert(2)</script>',
    }
    (fleet_dir / "ytm_doctor__evil_host.json").write_text(json.dumps(hostile))
    page = tmp_path / "fleet.html"
    result = fleet(cli, factory, "--html", page)
    assert result.code == 0 and page.is_file()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened = Opened(browser, page)
    try:
        opened.goto()
        rows = opened.page.eval_on_selector_all(
            "#hosts-table tbody tr", "rows => rows.map(r => [r.dataset.host, r.dataset.state])"
        )
        assert rows == [["evil_host", "reporting"], ["gateway", "reporting"], ["mac", "reporting"]]
        columns = opened.page.eval_on_selector_all(
            "#differences-table thead th", "cells => cells.map(c => c.textContent)"
        )
        assert columns[-3:] == ["evil_host", "gateway", "mac"]
        cell = opened.page.text_content(
            'tr[data-fingerprint="feedfacefeedfacefeedface"] td:nth-child(4)'
        )
        assert cell == hostile["findings"][0]["message"]
        opened.page.screenshot(path=str(ARTIFACTS / "fleet.png"), full_page=True)
        assert opened.dialogs == [] and opened.errors == [] and opened.foreign_requests() == []
    finally:
        opened.close()
    assert (ARTIFACTS / "fleet.png").stat().st_size > 10_000


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


ANSI = re.compile(r"\x1b\[(\d+)m(.*?)\x1b\[0m")
TERMINAL_CSS = (
    "body{margin:0;background:#1e1f22;color:#d8dadf}"
    "pre{margin:0;padding:14px;font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}"
    ".c31{color:#ff6b6b}.c32{color:#6bd48a}.c33{color:#f2b445}.c2{color:#80848c}"
)


def terminal_page(text: str) -> str:
    """A terminal's rendering of `text` (its ANSI colours as spans), to photograph."""
    body = "".join(
        f'<span class="c{m.group(1)}">{html.escape(m.group(2))}</span>'
        if (m := ANSI.fullmatch(part))
        else html.escape(part)
        for part in re.split(r"(\x1b\[\d+m.*?\x1b\[0m)", text)
    )
    return f"<!DOCTYPE html><meta charset=utf-8><style>{TERMINAL_CSS}</style><pre>{body}</pre>"


def test_status_screen_of_the_three_views_screenshot(browser, factory, tmp_path):  # noqa: F811
    from ytm_doctor.commands.status import Screen
    from ytm_doctor.config import load_config
    from ytm_doctor.status import gather

    screens = []
    for view in ("ytm-doctor.yaml", "ytm-doctor.offline.yaml", "ytm-doctor.gateway.yaml"):
        options = argparse.Namespace(config=str(factory / view), set=list(NO_DISK[1::2]))
        out = Terminal()
        out.write(f"$ ytm-doctor status --config {view}\n")
        Screen(out).show(gather(load_config(options, environ={})))
        screens.append(out.getvalue())
    text = "\n".join(screens)
    assert text.count("\x1b[31mthe share is") == 2  # offline and gateway, not main
    page = tmp_path / "status.html"
    page.write_text(terminal_page(text), encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened = Opened(browser, page)
    try:
        opened.goto()
        red = opened.page.eval_on_selector_all("span.c31", "s => s.map(e => e.textContent)")
        assert "the share is down: a mountpoint stub (not mounted)" in red
        opened.page.screenshot(path=str(ARTIFACTS / "status.png"), full_page=True)
    finally:
        opened.close()
    assert (ARTIFACTS / "status.png").stat().st_size > 10_000
