"""`ytm-doctor status`: where everything points now, on the demo's three views and on small
worlds; what fails it (exit 1) and what only warns."""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import time
from pathlib import Path

import pytest

from ytm_doctor.demo import build_demo
from ytm_doctor.lock import Lock, lock_path

NO_DISK = ("--set", "disk.stop_free_gib=0", "--set", "disk.warn_free_gib=0")
TOP_KEYS = [
    "schema",
    "checked_at",
    "config_file",
    "paths",
    "share",
    "ytm_workspaces",
    "thresholds",
    "volumes",
    "locks",
    "mirror",
    "outbox",
    "last_scan",
    "problems",
    "warnings",
    "exit_code",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("status") / "factory"
    build_demo(dest)
    return dest


def status_json(cli, config: Path, *extra: str) -> tuple[int, dict]:
    result = cli("status", "--config", config, "--json", *NO_DISK, *extra)
    assert result.err == ""
    data = result.json()
    assert data["exit_code"] == result.code
    return result.code, data


def path_row(data: dict, name: str) -> dict:
    return next(p for p in data["paths"] if p["name"] == name)


def test_main_view_names_every_root_its_source_the_demos_stale_lock_and_outbox(cli, demo):
    code, data = status_json(cli, demo / "ytm-doctor.yaml")
    assert list(data) == TOP_KEYS
    config = str(demo / "ytm-doctor.yaml")
    assert path_row(data, "workspace_root") == {
        "name": "workspace_root",
        "path": str(demo / "workspaces"),
        "source": f"file ({config})",
        "exists": True,
    }
    assert path_row(data, "planning_root")["source"] == "derived from the share root"
    assert data["share"]["status"] == "online"
    link = data["ytm_workspaces"]
    assert link["kind"] == "directory" and link["on_share"] and link["exists"]
    # The demo plants a mirror lock of a dead mirror on "demo-mac": stale, and it fails status.
    mirror = next(lock for lock in data["locks"] if lock["name"] == "mirror")
    assert mirror["state"] == "stale" and mirror["holder"]["host"] == "demo-mac"
    assert mirror["heartbeat_age_s"] > 60
    assert [lock["state"] for lock in data["locks"] if lock["name"] != "mirror"] == ["free"] * 3
    assert any("mirror lock is stale" in p for p in data["problems"])
    assert data["mirror"]["state"] == "failed"  # the demo's last mirror run was refused
    assert data["outbox"]["manifests"] == 1 and data["outbox"]["files"] >= 1
    assert data["volumes"][0]["roots"][0] == "workspace"
    assert {v["level"] for v in data["volumes"] if "share" not in v["roots"]} == {"ok"}
    assert code == 1


def test_offline_view_shows_the_stub_and_where_ytm_workspaces_really_leads(cli, demo):
    code, data = status_json(cli, demo / "ytm-doctor.offline.yaml")
    assert data["share"]["status"] == "stub"
    link = data["ytm_workspaces"]
    assert link["kind"] == "symlink"
    assert link["link_text"] == os.readlink(demo / "offline" / "share" / "ytm_workspaces")
    assert not link["on_share"]
    assert link["realpath"] == os.path.realpath(demo / "offline" / "share" / "ytm_workspaces")
    assert data["problems"][0] == "the share is down: a mountpoint stub (not mounted)"
    # The derived outbox is the stub link's parent (seed 000), and status says so.
    outbox = path_row(data, "fallback_root (outbox)")
    assert outbox["source"].startswith("derived")
    assert "share" not in [r for v in data["volumes"] for r in v["roots"]]  # not measured
    assert code == 1


def test_gateway_view_is_degraded_and_says_why(cli, demo):
    code, data = status_json(cli, demo / "ytm-doctor.gateway.yaml")
    assert data["share"]["status"] == "degraded"
    assert data["problems"][0].startswith("the share is degraded: uploads/")
    assert path_row(data, "shared store base")["exists"] is False
    assert code == 1


def test_terminal_screen_is_aligned_plain_text_when_not_a_tty(cli, demo):
    result = cli("status", "--config", demo / "ytm-doctor.offline.yaml", *NO_DISK)
    assert "\x1b[" not in result.out
    lines = result.out.splitlines()
    labels = {line[:10].strip() for line in lines}
    assert {"config", "path", "share", "vault", "disk", "lock", "mirror", "outbox"} <= labels
    assert "last scan" in labels and "PROBLEM" in labels
    # Every line's text starts in the same column, after the label.
    assert all(line[10] == " " for line in lines if line.strip())
    assert "share      stub" in result.out
    assert "symlink -> ../outbox/ytm_share/ytm_workspaces" in result.out
    assert result.code == 1


def test_healthy_world_after_a_scan_is_exit_0_with_the_scan_summary(world, cli):
    assert cli("-q").code == 0
    result = cli("status", "--json")
    data = result.json()
    assert result.code == 0 and data["problems"] == []
    scan = data["last_scan"]
    assert scan["state"] == "ok" and scan["exit_code"] == 0 and scan["violations"] == 0
    assert 0 <= scan["age_s"] < 3600
    assert scan["host"] == socket.gethostname()
    screen = cli("status")
    assert screen.code == 0
    assert "nothing needs attention" in screen.out


def test_no_scan_yet_and_a_torn_latest_report_only_warn(world, cli):
    data = cli("status", "--json").json()
    assert data["last_scan"]["state"] == "none"
    assert data["warnings"] == ["no full scan saved yet"] and data["exit_code"] == 0
    world.write("ws/logs/ops/ytm_doctor/latest.json", '{"run": ')
    result = cli("status", "--json")
    assert result.code == 0 and "Traceback" not in result.err
    assert result.json()["last_scan"]["state"] == "unreadable"
    assert "invalid JSON" in result.json()["warnings"][0]


def test_a_live_lock_shows_its_holder_and_does_not_fail(world, cli):
    lock = Lock(lock_path(world.report_dir, "fix"), "fix", command="ytm-doctor fix --run")
    with lock:
        result = cli("status", "--json")
    data = result.json()
    fix = next(lock for lock in data["locks"] if lock["name"] == "fix")
    assert fix["state"] == "held"
    assert fix["holder"]["pid"] == os.getpid()
    assert fix["holder"]["command"] == "ytm-doctor fix --run"
    assert 0 <= fix["heartbeat_age_s"] < 60
    assert result.code == 0


def test_a_lock_of_a_dead_pid_on_this_host_is_stale_and_fails(world, cli):
    # Any *.lock in the report directory counts, not only the tool's own four names.
    now = time.time()
    world.write(
        "ws/logs/ops/ytm_doctor/plugin-job.lock",
        json.dumps(
            {
                "name": "plugin-job",
                "host": socket.gethostname(),
                "pid": 2**22 + 12345,  # above any pid_max: never running
                "token": "t",
                "started_at": now - 100,
                "heartbeat": now - 100,
            }
        ),
    )
    result = cli("status", "--json")
    job = next(lock for lock in result.json()["locks"] if lock["name"] == "plugin-job")
    assert job["state"] == "stale" and "is gone" in job["reason"]
    assert result.code == 1


def test_free_space_below_stop_fails_below_warn_warns(world, cli):
    stop = cli(
        "status", "--json", "--set", "disk.stop_free_gib=1e12", "--set", "disk.warn_free_gib=1e12"
    )
    assert stop.code == 1
    assert "below the stop threshold" in stop.json()["problems"][0]
    warn = cli("status", "--json", "--set", "disk.warn_free_gib=1e12")
    assert warn.code == 0
    assert any("below the warn threshold" in w for w in warn.json()["warnings"])


def test_paths_say_flag_and_environment_sources(world, cli, monkeypatch):
    drafts = world.root / "drafts"
    drafts.mkdir()
    monkeypatch.setenv("YTM_CAPCUT_DRAFT_ROOT", str(drafts))
    data = cli("status", "--json", "--planning-root", world.share / "ytm_workspaces" / "planning")
    data = data.json()
    assert path_row(data, "capcut.draft_root")["source"] == "env (YTM_CAPCUT_DRAFT_ROOT)"
    assert path_row(data, "planning_root")["source"] == "flag (--planning-root)"


def test_a_broken_config_is_one_line_exit_4(world, cli):
    world.configure(workspace_root="missing")
    result = cli("status")
    assert result.code == 4
    assert len(result.err_lines) == 1 and "workspace_root" in result.err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def screen_of(config_file: Path, monkeypatch) -> str:
    """The status screen as a terminal receives it."""
    from ytm_doctor.commands.status import Screen
    from ytm_doctor.config import load_config
    from ytm_doctor.status import gather

    options = argparse.Namespace(config=str(config_file), set=list(NO_DISK[1::2]))
    out = Terminal()
    Screen(out).show(gather(load_config(options, environ={})))
    return out.getvalue()


def test_colour_on_a_terminal_only_and_never_under_no_color(world, monkeypatch):
    (world.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    coloured = screen_of(world.config_file, monkeypatch)
    assert "PROBLEM    \x1b[31mthe share is down" in coloured
    assert "lock       \x1b[2mscan    free\x1b[0m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in screen_of(world.config_file, monkeypatch)
