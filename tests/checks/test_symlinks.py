"""YTM301 broken-symlink, YTM302 symlink-loop, YTM303 backup-symlink-residue, through real scans
of temporary trees with real symlinks, and one through the CLI's JSON."""

from __future__ import annotations

import argparse
import base64
import json
import os
from pathlib import Path

import pytest

from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.session import run_scan

SENTINEL = ".ytm_vault_workspaces_root.json"
STAMP = "20260126T070401Z"


@pytest.fixture
def vault(world) -> Path:
    """The conftest world plus a healthy Vault, so only the planted links produce findings."""
    v = world.share / "ytm_workspaces"
    (v / SENTINEL).write_text(json.dumps({"namespace": "factory_commentary"}), encoding="utf-8")
    (v / "thumbnails" / "assets").mkdir(parents=True, exist_ok=True)
    (v / "video" / "runs").mkdir(parents=True, exist_ok=True)
    (world.share / "asset_vault" / "bgm").mkdir(parents=True, exist_ok=True)
    (world.share / "asset_vault" / "bgm" / "calm.mp3").write_bytes(b"ID3")
    return v


def link(path: Path, target: str | Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def scan(world, scope: Scope | None = None) -> dict:
    config = load_config(argparse.Namespace(config=str(world.config_file)), environ={})
    config.pluginmanager = make_plugin_manager(autoload=False)
    return run_scan(config, scope or Scope(), []).to_json()


def found(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == code]


def link_rules(report: dict) -> list[tuple[str, str, str]]:
    return sorted(
        (f["rule"], f["root"], f["path"])
        for f in report["findings"]
        if f["rule"] in ("YTM202", "YTM301", "YTM302", "YTM303")
    )


def go_offline(world) -> None:
    (world.share / "README_MOUNTPOINT.txt").write_text("the SMB share is not mounted here")


# --- YTM301 -----------------------------------------------------------------------------------


def test_dangling_link_in_the_workspace_is_a_violation_with_its_episode(world, vault) -> None:
    episode = world.ws / "video" / "runs" / "CH02-012__20260120T101500Z"
    link(episode / "images" / "0001.png", "../../CH02-012__20260101T000000Z/images/0001.png")
    report = scan(world)
    (finding,) = found(report, "YTM301")
    assert finding["severity"] == "violation"
    assert finding["root"] == "workspace"
    assert finding["path"] == "video/runs/CH02-012__20260120T101500Z/images/0001.png"
    assert (finding["channel"], finding["video"], finding["episode"]) == ("CH02", "012", "CH02-012")
    details = finding["details"]
    assert details["target"] == "../../CH02-012__20260101T000000Z/images/0001.png"
    assert details["target_abs"] == str(
        world.ws / "video" / "runs" / "CH02-012__20260101T000000Z" / "images" / "0001.png"
    )
    assert details["on_share"] is False
    assert details["share_status"] == "online"
    assert "video/input" in details["unfixable"]  # materialize-input is for inputs only
    assert finding["fix"] is None


def test_resolving_links_are_not_reported(world, vault) -> None:
    common = world.ws / "video" / "input" / "CH13" / "_common"
    common.mkdir(parents=True)
    (common / "theme.mp3").write_bytes(b"ID3")
    link(world.ws / "video" / "input" / "CH13" / "CH13-022" / "bgm.mp3", "../_common/theme.mp3")
    link(world.ws / "episodes" / "CH13-022", "../video/input/CH13/CH13-022")
    link(vault / "video" / "input" / "CH01" / "_shared_bgm", "../../../../asset_vault/bgm")
    assert link_rules(scan(world)) == []


def test_dangling_local_input_link_is_fixable_by_materialize_input(world, vault) -> None:
    link(world.ws / "video" / "input" / "CH01" / "CH01-003", "/Volumes/old_ssd/CH01-003")
    (finding,) = found(scan(world), "YTM301")
    assert finding["path"] == "video/input/CH01/CH01-003"
    assert (finding["channel"], finding["video"]) == ("CH01", "003")
    assert finding["details"]["on_share"] is False
    assert "unfixable" not in finding["details"]


def test_channel_only_input_link_carries_the_channel(world, vault) -> None:
    link(world.ws / "video" / "input" / "CH13" / "_common", "../../../missing_common")
    (finding,) = found(scan(world), "YTM301")
    assert (finding["channel"], finding["video"]) == ("CH13", None)


def test_input_links_into_the_share_belong_to_ytm403(world, vault) -> None:
    inputs = world.ws / "video" / "input" / "CH02"
    link(inputs / "CH02-012", world.share / "ytm_workspaces" / "gone")
    link(inputs / "CH02-013", "../../../../share/asset_vault/gone")
    assert found(scan(world), "YTM301") == []


def test_run_draft_links_belong_to_ytm401_ytm402(world, vault) -> None:
    run = world.ws / "video" / "runs" / "CH01-002__20251218T140000Z"
    link(run / "capcut_draft", world.root / "capcut_drafts" / "CH01-002_deleted")
    archived = world.ws / "video" / "_archive" / "20260105T031500Z" / "video" / "runs"
    link(archived / "CH01-001__20251203T091500Z" / "capcut_draft", "/Users/dd/CapCut/gone")
    link(vault / "video" / "runs" / "CH01-002__20251218T140000Z" / "capcut_draft", "../../x")
    # Not a run's draft link: an ordinary dangling link that happens to have the name.
    link(run / "workset" / "capcut_draft", "../../../../missing")
    (finding,) = found(scan(world), "YTM301")
    assert finding["path"] == "video/runs/CH01-002__20251218T140000Z/workset/capcut_draft"


def test_link_into_the_share_is_a_warning_while_the_share_is_down(world, vault) -> None:
    target = "../../../share/ytm_workspaces/video/runs/CH02-011__20251205T100000Z"
    link(world.ws / "video" / "runs" / "CH02-011__20251205T100000Z", target)
    link(world.ws / "episodes" / "CH02" / "CH02-011", target)
    online = found(scan(world), "YTM301")
    assert [f["severity"] for f in online] == ["violation", "violation"]
    assert all(f["details"]["on_share"] for f in online)

    go_offline(world)
    offline = found(scan(world), "YTM301")
    assert [f["severity"] for f in offline] == ["warning", "warning"]
    for f in offline:
        assert f["details"]["share_status"] == "stub"
        assert f["details"]["share_relative"] == target[len("../../../share/") :]
        assert "stub" in f["message"]


def test_local_dangling_link_stays_a_violation_while_the_share_is_down(world, vault) -> None:
    link(world.ws / "thumbnails" / "assets" / "CH02" / "012" / "v1", "../../../../../old_thumbs")
    go_offline(world)
    (finding,) = found(scan(world), "YTM301")
    assert finding["severity"] == "violation"
    assert (finding["channel"], finding["video"]) == ("CH02", "012")


def test_dangling_relative_link_in_the_vault_and_asset_vault(world, vault) -> None:
    link(vault / "video" / "input" / "CH01" / "_shared_bgm", "../../../../asset_vault/bgm_old")
    link(world.share / "asset_vault" / "bgm" / "default.mp3", "calm_old.mp3")
    report = scan(world)
    assert link_rules(report) == [
        ("YTM301", "share", "asset_vault/bgm/default.mp3"),
        ("YTM301", "vault", "video/input/CH01/_shared_bgm"),
    ]
    vault_finding = next(f for f in found(report, "YTM301") if f["root"] == "vault")
    assert vault_finding["details"]["share_relative"] == "asset_vault/bgm_old"
    assert "unfixable" in vault_finding["details"]  # the Vault's inputs are not materialized


def test_scope_keeps_only_the_selected_channel(world, vault) -> None:
    link(world.ws / "video" / "input" / "CH01" / "CH01-003", "/nowhere/a")
    link(world.ws / "video" / "input" / "CH02" / "CH02-012", "/nowhere/b")
    report = scan(world, Scope(channel="CH02"))
    assert [f["path"] for f in found(report, "YTM301")] == ["video/input/CH02/CH02-012"]


def test_non_utf8_link_name_is_reported_not_crashed_on(world, vault) -> None:
    folder = world.ws / "video" / "input" / "CH01"
    folder.mkdir(parents=True)
    raw = os.fsencode(folder) + b"/bgm_\xff.mp3"
    os.symlink(b"missing.mp3", raw)
    report = scan(world)
    (finding,) = found(report, "YTM301")
    assert finding["path"] == "video/input/CH01/bgm_\\xff.mp3"
    assert base64.b64decode(finding["abs_path_b64"]) == raw
    assert report["errors"] == []


# --- YTM302 -----------------------------------------------------------------------------------


def test_link_loops_are_ytm302_not_ytm301(world, vault) -> None:
    runs = world.ws / "video" / "runs"
    link(runs / "a", "b")
    link(runs / "b", "a")
    link(vault / "video" / "runs" / "self", "self")
    report = scan(world)
    assert link_rules(report) == [
        ("YTM302", "vault", "video/runs/self"),
        ("YTM302", "workspace", "video/runs/a"),
        ("YTM302", "workspace", "video/runs/b"),
    ]
    finding = next(f for f in found(report, "YTM302") if f["path"] == "video/runs/a")
    assert finding["severity"] == "violation"
    assert finding["details"]["target"] == "b"
    assert finding["fix"] is None


def test_looping_run_draft_link_is_left_to_ytm402(world, vault) -> None:
    run = world.ws / "video" / "runs" / "CH02-012__20260120T101500Z"
    link(run / "capcut_draft", "capcut_draft")
    assert link_rules(scan(world)) == []


def test_chain_of_links_that_ends_somewhere_is_no_loop(world, vault) -> None:
    real = world.ws / "video" / "input" / "CH01" / "CH01-003"
    real.mkdir(parents=True)
    link(world.ws / "episodes" / "one", "two")
    link(world.ws / "episodes" / "two", "../video/input/CH01/CH01-003")
    assert link_rules(scan(world)) == []


# --- YTM303 -----------------------------------------------------------------------------------


def test_backup_link_left_by_the_offline_fallback_is_info(world, vault) -> None:
    folder = world.ws / "video" / "input" / "CH02"
    (folder / "CH02-012").mkdir(parents=True)  # materialized locally by the fallback
    name = f"CH02-012.symlink_shared_backup_{STAMP}"
    link(folder / name, "../../../../share/ytm_workspaces/video/input/CH02/CH02-012")
    report = scan(world)
    assert link_rules(report) == [("YTM303", "workspace", f"video/input/CH02/{name}")]
    (finding,) = found(report, "YTM303")
    assert finding["severity"] == "info"
    assert (finding["channel"], finding["video"]) == ("CH02", "012")
    details = finding["details"]
    assert details["kind"] == "link"
    assert details["target"] == "../../../../share/ytm_workspaces/video/input/CH02/CH02-012"
    assert details["stamp"] == STAMP
    assert details["backed_up_at"] == "2026-01-26T07:04:01Z"
    assert (details["original"], details["original_kind"]) == ("CH02-012", "dir")
    assert finding["fix"] is None


def test_backup_dir_is_one_residue_and_its_links_are_not_broken(world, vault) -> None:
    backup = world.ws / "episodes" / f"CH13.symlink_shared_backup_{STAMP}"
    link(backup / "CH13-021", "../../../share/gone")
    link(backup / "nested" / f"x.symlink_shared_backup_{STAMP}", "gone")
    report = scan(world)
    assert link_rules(report) == [("YTM303", "workspace", f"episodes/{backup.name}")]
    (finding,) = found(report, "YTM303")
    assert finding["details"]["kind"] == "dir"
    assert finding["details"]["target"] is None
    assert finding["details"]["original_kind"] == "missing"
    assert (finding["channel"], finding["video"]) == ("CH13", None)


def test_backup_residue_in_the_vault_is_found_too(world, vault) -> None:
    name = f"_shared_bgm.symlink_shared_backup_{STAMP}"
    link(vault / "video" / "input" / "CH01" / name, "../../../../asset_vault/bgm")
    assert link_rules(scan(world)) == [("YTM303", "vault", f"video/input/CH01/{name}")]


def test_look_alike_names_are_not_residue(world, vault) -> None:
    (world.ws / "docs" / "symlink_shared_backup_notes").mkdir(parents=True)
    link(world.ws / "docs" / "shared_backup_20260126", "symlink_shared_backup_notes")
    assert link_rules(scan(world)) == []


# --- through the CLI --------------------------------------------------------------------------


def test_cli_json_names_each_rule_once_per_problem(world, vault, cli) -> None:
    inputs = world.ws / "video" / "input" / "CH02"
    link(inputs / "CH02-012", "/Volumes/old_ssd/CH02-012")  # YTM301
    link(inputs / f"CH02-013.symlink_shared_backup_{STAMP}", "/Volumes/old_ssd/CH02-013")  # 303
    link(inputs / "loop", "loop")  # YTM302
    result = cli("--json", "--no-save", "--select", "YTM3")
    assert result.code == 1  # violations found
    data = result.json()
    rules = sorted((f["rule"], f["path"], f["severity"]) for f in data["findings"])
    assert rules == [
        ("YTM301", "video/input/CH02/CH02-012", "violation"),
        ("YTM302", "video/input/CH02/loop", "violation"),
        ("YTM303", f"video/input/CH02/CH02-013.symlink_shared_backup_{STAMP}", "info"),
    ]
    assert data["summary"]["violations_total"] == 2
    assert data["summary"]["info_total"] == 1
