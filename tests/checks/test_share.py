"""YTM101 share-stub-mount and YTM102 share-degraded, through a real scan of temp dirs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.report import Report
from ytm_doctor.session import run_scan


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    ws, share = tmp_path / "ws", tmp_path / "share"
    ws.mkdir()
    (share / "ytm_workspaces").mkdir(parents=True)
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    (share / "asset_vault").mkdir()
    return {"tmp": tmp_path, "ws": ws, "share": share}


def scan(world: dict[str, Path], require_mount: bool = False, **flags) -> Report:
    options = argparse.Namespace(
        config=None,
        set=[f"shared_storage.require_mount={'true' if require_mount else 'false'}"],
        workspace_root=str(world["ws"]),
        share_root=str(world["share"]),
        fallback_root=flags.pop("fallback_root", str(world["tmp"] / "outbox")),
        select=["YTM10"],
        **flags,
    )
    config = load_config(options, environ={})
    config.pluginmanager = make_plugin_manager(autoload=False)
    return run_scan(config, Scope(), [])


def by_rule(report: Report, code: str) -> list[dict]:
    return [f.to_json() for f in report.findings if f.rule == code]


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


# --- YTM101 -----------------------------------------------------------------------------------


def test_stub_marker_is_ytm101_and_vault_walks_are_skipped(world) -> None:
    (world["share"] / "README_MOUNTPOINT.txt").write_text("mount the NAS here")
    report = scan(world)
    (finding,) = by_rule(report, "YTM101")
    assert finding["severity"] == "warning"
    assert finding["root"] == "share"
    assert finding["path"] == "."
    assert finding["abs_path"] == str(world["share"])
    assert finding["details"]["stub_marker"] is True
    assert finding["details"]["status"] == "stub"
    assert "README_MOUNTPOINT.txt" in finding["message"]
    assert str(world["tmp"] / "outbox") in finding["message"]
    assert by_rule(report, "YTM102") == []
    data = report.to_json()
    assert data["config"]["share"]["status"] == "stub"
    walks = data["config"]["walks"]
    assert "skipped" in walks["vault"]
    assert "stub" in walks["vault"]["skipped"]
    assert "skipped" in walks["share:asset_vault"]


def test_stub_with_local_ytm_workspaces_link_names_link_and_derived_outbox(world) -> None:
    share = world["share"]
    (share / "ytm_workspaces").rmdir()
    local = world["tmp"] / "local_fallback" / "ytm_workspaces"
    local.mkdir(parents=True)
    (share / "ytm_workspaces").symlink_to(local)
    (share / "README_MOUNTPOINT.txt").write_text("x")
    report = scan(world, fallback_root=None)
    (finding,) = by_rule(report, "YTM101")
    assert finding["details"]["ytm_workspaces_link"] == str(local)
    assert finding["details"]["fallback_root"] == str(world["tmp"] / "local_fallback")


def test_stub_hides_degradation(world) -> None:
    (world["share"] / "README_MOUNTPOINT.txt").write_text("x")
    (world["share"] / "uploads" / "factory_commentary").rmdir()
    report = scan(world)
    assert len(by_rule(report, "YTM101")) == 1
    assert by_rule(report, "YTM102") == []  # one problem, reported once, by its rule


def test_require_mount_on_plain_dir_is_ytm101(world) -> None:
    report = scan(world, require_mount=True)
    (finding,) = by_rule(report, "YTM101")
    assert "not a mount point" in finding["message"]
    assert finding["details"]["status"] == "unmounted"
    assert finding["details"]["stub_marker"] is False
    assert finding["details"]["require_mount"] is True
    assert "skipped" in report.to_json()["config"]["walks"]["vault"]


def test_require_mount_on_a_mount_point_is_fine(world, monkeypatch) -> None:
    root = os.fspath(world["share"])
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: os.fspath(p) == root or real_ismount(p))
    report = scan(world, require_mount=True)
    assert by_rule(report, "YTM101") == []
    assert by_rule(report, "YTM102") == []
    assert report.to_json()["config"]["share"]["status"] == "online"


def test_missing_share_root_is_ytm101(world) -> None:
    for sub in ("ytm_workspaces", "uploads/factory_commentary", "uploads", "asset_vault"):
        (world["share"] / sub).rmdir()
    world["share"].rmdir()
    report = scan(world)
    (finding,) = by_rule(report, "YTM101")
    assert "does not exist" in finding["message"]
    assert finding["details"]["status"] == "missing"
    assert by_rule(report, "YTM102") == []


def test_healthy_share_without_require_mount_has_no_share_findings(world) -> None:
    report = scan(world)
    assert by_rule(report, "YTM101") == []
    assert by_rule(report, "YTM102") == []
    walks = report.to_json()["config"]["walks"]
    assert all("skipped" not in v for v in walks.values())
    assert report.exit_code == 0


# --- YTM102 -----------------------------------------------------------------------------------


def test_uploads_namespace_missing_is_ytm102(world) -> None:
    (world["share"] / "uploads" / "factory_commentary").rmdir()
    report = scan(world)
    (finding,) = by_rule(report, "YTM102")
    assert finding["severity"] == "warning"
    assert "uploads/factory_commentary/ is missing" in finding["message"]
    assert finding["details"]["problems"] == ["uploads/factory_commentary/ is missing"]
    assert finding["details"]["shared_base"] == str(
        world["share"] / "uploads" / "factory_commentary"
    )
    assert by_rule(report, "YTM101") == []


def test_other_namespace_is_named(world) -> None:
    report = scan(world, namespace="kids_channel")
    (finding,) = by_rule(report, "YTM102")
    assert "uploads/kids_channel/ is missing" in finding["message"]


def test_ytm_workspaces_missing_is_ytm102(world) -> None:
    (world["share"] / "ytm_workspaces").rmdir()
    report = scan(world)
    (finding,) = by_rule(report, "YTM102")
    assert "ytm_workspaces/ is missing" in finding["message"]
    assert "skipped" in report.to_json()["config"]["walks"]["vault"]


def test_not_writable_is_ytm102(world, monkeypatch) -> None:
    target = world["share"] / "ytm_workspaces"
    deny_write(monkeypatch, target)
    try:
        report = scan(world)
    finally:
        target.chmod(0o755)
    (finding,) = by_rule(report, "YTM102")
    assert finding["details"]["problems"] == ["ytm_workspaces/ is not writable"]


def test_both_problems_in_one_finding(world) -> None:
    (world["share"] / "ytm_workspaces").rmdir()
    (world["share"] / "uploads" / "factory_commentary").rmdir()
    report = scan(world)
    (finding,) = by_rule(report, "YTM102")
    assert len(finding["details"]["problems"]) == 2


def test_share_findings_are_warnings_exit_0(world) -> None:
    (world["share"] / "README_MOUNTPOINT.txt").write_text("x")
    report = scan(world)
    assert report.exit_code == 0


def test_stub_through_the_cli_json(world) -> None:
    (world["share"] / "README_MOUNTPOINT.txt").write_text("x")
    cfg = world["tmp"] / "ytm-doctor.yaml"
    cfg.write_text(
        f"workspace_root: {world['ws']}\nshared_storage:\n  root: {world['share']}\n"
        f"  require_mount: false\n  fallback_root: {world['tmp'] / 'outbox'}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    result = subprocess.run(
        [sys.executable, "-m", "ytm_doctor.cli", "--json", "--no-save", "--select", "YTM1"],
        cwd=world["tmp"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [f["rule"] for f in data["findings"]] == ["YTM101"]
    assert data["findings"][0]["details"]["stub_marker"] is True
    assert data["config"]["walks"]["vault"] == {"skipped": "share is stub"}
