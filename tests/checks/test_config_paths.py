"""YTM100 config-invalid: optional configured paths that are missing or unusable."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.errors import ExitCode
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.report import Report
from ytm_doctor.session import run_scan


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "ws").mkdir()
    (tmp_path / "share" / "ytm_workspaces").mkdir(parents=True)
    (tmp_path / "share" / "uploads" / "factory_commentary").mkdir(parents=True)
    (tmp_path / "drafts").mkdir()
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "planning.env").write_text("YTM_PLANNING_ROOT=/x\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def scan(world: Path, yaml_extra: str = "", **flags) -> Report:
    cfg = world / "ytm-doctor.yaml"
    cfg.write_text(
        "workspace_root: ws\n"
        "shared_storage:\n  root: share\n  require_mount: false\n  fallback_root: outbox\n"
        + yaml_extra
    )
    options = argparse.Namespace(config=str(cfg), set=[], select=["YTM100"], **flags)
    config = load_config(options, environ={})
    config.pluginmanager = make_plugin_manager(autoload=False)
    return run_scan(config, Scope(), [])


def ytm100(report: Report) -> list[dict]:
    assert [o.code for o in report.outcomes] == ["YTM100"]
    return [f.to_json() for f in report.findings if f.rule == "YTM100"]


def deny_write(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    if os.geteuid() == 0:  # root may write anyway: os.access must say no
        real_access = os.access

        def access(path, mode, *a, **kw):
            if os.fspath(path) == os.fspath(target) and mode & os.W_OK:
                return False
            return real_access(path, mode, *a, **kw)

        monkeypatch.setattr(os, "access", access)
    else:
        target.chmod(0o555)


def test_all_present_no_finding(world: Path) -> None:
    report = scan(
        world, "capcut:\n  draft_root: drafts\nplanning:\n  env_files: [env/planning.env]\n"
    )
    assert ytm100(report) == []
    assert report.exit_code == ExitCode.OK


def test_nothing_optional_configured_no_finding(world: Path) -> None:
    assert ytm100(scan(world)) == []


def test_draft_root_missing(world: Path) -> None:
    report = scan(world, "capcut:\n  draft_root: no_drafts_here\n")
    (finding,) = ytm100(report)
    assert finding["severity"] == "violation"
    (problem,) = finding["details"]["problems"]
    assert problem["key"] == "capcut.draft_root"
    assert problem["value"] == str(world / "no_drafts_here")
    assert problem["problem"] == "does not exist"
    assert problem["source"] == f"file ({world / 'ytm-doctor.yaml'})"
    assert "capcut.draft_root" in finding["message"]
    assert finding["root"] == "workspace"
    assert finding["path"] == "."
    assert report.exit_code == ExitCode.VIOLATIONS


def test_draft_root_from_flag_names_the_flag(world: Path) -> None:
    report = scan(world, draft_root=str(world / "elsewhere"))
    (finding,) = ytm100(report)
    assert finding["details"]["problems"][0]["source"] == "flag (--draft-root)"
    assert "--draft-root" in finding["message"]


def test_draft_root_is_a_file(world: Path) -> None:
    (world / "drafts_file").write_text("x")
    (finding,) = ytm100(scan(world, "capcut:\n  draft_root: drafts_file\n"))
    assert finding["details"]["problems"][0]["problem"] == "is not a directory"


def test_draft_root_dangling_symlink(world: Path) -> None:
    (world / "drafts_link").symlink_to(world / "gone")
    (finding,) = ytm100(scan(world, "capcut:\n  draft_root: drafts_link\n"))
    assert finding["details"]["problems"][0]["problem"] == "dangling symlink"


def test_env_file_missing(world: Path) -> None:
    report = scan(world, "planning:\n  env_files: [env/planning.env, env/gone.env]\n")
    (finding,) = ytm100(report)
    (problem,) = finding["details"]["problems"]
    assert problem["key"] == "planning.env_files"
    assert problem["value"] == str(world / "env" / "gone.env")
    assert problem["problem"] == "does not exist"
    assert "gone.env" in finding["message"]


def test_env_file_that_is_a_dir(world: Path) -> None:
    (finding,) = ytm100(scan(world, "planning:\n  env_files: [env]\n"))
    assert finding["details"]["problems"][0]["problem"] == "is not a file"


def test_several_problems_are_one_finding(world: Path) -> None:
    report = scan(
        world,
        "capcut:\n  draft_root: nope\nplanning:\n  env_files: [a.env, b.env]\n",
    )
    (finding,) = ytm100(report)
    keys = [p["key"] for p in finding["details"]["problems"]]
    assert keys == ["capcut.draft_root", "planning.env_files", "planning.env_files"]
    for name in ("nope", "a.env", "b.env"):
        assert name in finding["message"]


def test_fallback_root_under_unwritable_dir(world: Path, monkeypatch) -> None:
    locked = world / "locked"
    locked.mkdir()
    deny_write(monkeypatch, locked)
    try:
        report = scan(world, fallback_root=str(locked / "outbox" / "deeper"))
    finally:
        locked.chmod(0o755)
    (finding,) = ytm100(report)
    (problem,) = finding["details"]["problems"]
    assert problem["key"] == "shared_storage.fallback_root"
    assert problem["value"] == str(locked / "outbox" / "deeper")
    assert str(locked) in problem["problem"]
    assert "not writable" in problem["problem"]


def test_fallback_root_not_yet_created_in_writable_dir_is_fine(world: Path) -> None:
    assert ytm100(scan(world, fallback_root=str(world / "new" / "outbox"))) == []


def test_existing_unwritable_fallback_root(world: Path, monkeypatch) -> None:
    outbox = world / "outbox"
    outbox.mkdir()
    deny_write(monkeypatch, outbox)
    try:
        report = scan(world)
    finally:
        outbox.chmod(0o755)
    (finding,) = ytm100(report)
    assert finding["details"]["problems"][0]["key"] == "shared_storage.fallback_root"


def test_finding_json_is_serialisable(world: Path) -> None:
    report = scan(world, "capcut:\n  draft_root: nope\n")
    data = json.loads(report.dumps())
    (finding,) = data["findings"]
    assert finding["details"]["config_file"] == str(world / "ytm-doctor.yaml")
    assert finding["abs_path"] == str(world / "ytm-doctor.yaml")
