"""YTM501 low-disk, on the real disk: thresholds are set relative to the space actually free."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.report import Report
from ytm_doctor.session import run_scan

GIB = 1024**3


@pytest.fixture
def factory(tmp_path: Path) -> Path:
    (tmp_path / "ws").mkdir()
    (tmp_path / "share" / "ytm_workspaces").mkdir(parents=True)
    (tmp_path / "share" / "uploads" / "factory_commentary").mkdir(parents=True)
    (tmp_path / "drafts").mkdir()
    return tmp_path


def free_gib(path: Path) -> float:
    return shutil.disk_usage(path).free / GIB


def scan(root: Path, warn: float, stop: float, **extra: Any) -> Report:
    data: dict[str, Any] = {
        "workspace_root": "ws",
        "shared_storage": {
            "root": "share",
            "require_mount": False,
            "fallback_root": os.fspath(extra.pop("outbox", root / "outbox")),
        },
        "capcut": {"draft_root": os.fspath(extra.pop("drafts", root / "drafts"))},
        "disk": {"warn_free_gib": warn, "stop_free_gib": stop},
    }
    cfg = root / "ytm-doctor.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    options = argparse.Namespace(config=str(cfg), set=[], select=["YTM501"])
    config = load_config(options, environ={})
    config.pluginmanager = make_plugin_manager(autoload=False)
    return run_scan(config, Scope(), [])


def ytm501(report: Report) -> list[dict]:
    assert not [e for e in report.errors if e["kind"] == "check"]
    return [f.to_json() for f in report.findings if f.rule == "YTM501"]


def test_below_warn_is_one_warning_naming_every_root_on_the_volume(factory: Path) -> None:
    (factory / "outbox").mkdir()
    free = free_gib(factory)
    report = scan(factory, warn=free + 1, stop=0)
    (finding,) = ytm501(report)
    assert finding["severity"] == "warning"
    assert finding["root"] == "workspace"
    assert finding["path"] == "."
    assert finding["abs_path"] == str(factory / "ws")
    details = finding["details"]
    assert [r["name"] for r in details["roots"]] == ["workspace", "drafts", "outbox"]
    assert details["roots"][1]["path"] == str(factory / "drafts")
    assert abs(details["free_gib"] - free) < 0.5
    assert details["free_bytes"] > 0 and details["total_bytes"] >= details["free_bytes"]
    assert details["warn_free_gib"] == pytest.approx(free + 1)
    assert details["stop_free_gib"] == 0
    assert details["device"] == os.stat(factory / "ws").st_dev
    assert "warn threshold" in finding["message"]
    assert "workspace, drafts, outbox" in finding["message"]
    assert finding["fix"] is None
    assert report.exit_code == 0  # a warning does not fail the run


def test_below_stop_is_a_violation(factory: Path) -> None:
    free = free_gib(factory)
    report = scan(factory, warn=free + 2, stop=free + 1)
    (finding,) = ytm501(report)
    assert finding["severity"] == "violation"
    assert "stop threshold" in finding["message"]
    assert report.exit_code == 1


def test_enough_space_is_no_finding(factory: Path) -> None:
    free = free_gib(factory)
    report = scan(factory, warn=free / 2, stop=free / 4)
    assert ytm501(report) == []


def test_outbox_not_created_yet_is_measured_where_it_will_be_created(factory: Path) -> None:
    outbox = factory / "not" / "yet" / "outbox"
    report = scan(factory, warn=free_gib(factory) + 1, stop=0, outbox=outbox)
    (finding,) = ytm501(report)
    (entry,) = [r for r in finding["details"]["roots"] if r["name"] == "outbox"]
    assert entry == {"name": "outbox", "path": str(outbox), "measured_at": str(factory)}


def test_missing_draft_root_is_left_to_ytm100(factory: Path) -> None:
    (factory / "drafts").rmdir()
    report = scan(factory, warn=free_gib(factory) + 1, stop=0)
    (finding,) = ytm501(report)
    assert [r["name"] for r in finding["details"]["roots"]] == ["workspace", "outbox"]


def _other_volume(path: Path) -> Path | None:
    """A writable directory on another device than `path` (tmpfs /dev/shm on Linux)."""
    for candidate in ("/dev/shm", "/run/user", tempfile.gettempdir()):
        try:
            if os.stat(candidate).st_dev != os.stat(path).st_dev and os.access(candidate, os.W_OK):
                return Path(candidate)
        except OSError:
            continue
    return None


def test_each_volume_is_reported_once_under_its_first_root(factory: Path) -> None:
    other = _other_volume(factory)
    if other is None:
        pytest.skip("no second writable filesystem on this machine")
    outbox = Path(tempfile.mkdtemp(prefix="ytm501-outbox-", dir=other))
    try:
        report = scan(factory, warn=10**9, stop=0, outbox=outbox)
    finally:
        outbox.rmdir()
    findings = ytm501(report)
    assert len(findings) == 2
    by_root = {f["root"]: f for f in findings}
    assert set(by_root) == {"workspace", "outbox"}
    names = [r["name"] for r in by_root["workspace"]["details"]["roots"]]
    assert names == ["workspace", "drafts"]
    assert by_root["outbox"]["abs_path"] == str(outbox)
    assert by_root["outbox"]["details"]["device"] == os.stat(other).st_dev
    assert by_root["workspace"]["fingerprint"] != by_root["outbox"]["fingerprint"]


def test_thresholds_default_to_the_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./ytm-doctor.yaml
    config = load_config(argparse.Namespace(config=None), environ={}, validate=False)
    assert config["disk.warn_free_gib"] == 150
    assert config["disk.stop_free_gib"] == 80
