"""YTM201 vault-sentinel-missing, YTM202 vault-absolute-symlink, YTM203 vault-dirs-missing,
through real scans of temporary trees with real symlinks."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest

from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.session import run_scan

SENTINEL = ".ytm_vault_workspaces_root.json"
ALIAS = "/srv/workspace/doraemon/workspace/lenovo_share"  # the gateway's mount of the same share


@pytest.fixture
def vault(world) -> Path:
    """The conftest world plus a healthy Vault: sentinel, required dirs, asset_vault."""
    v = world.share / "ytm_workspaces"
    sentinel = {"schema": "ytm.vault_workspaces_root.v1", "namespace": "factory_commentary"}
    (v / SENTINEL).write_text(json.dumps(sentinel), encoding="utf-8")
    (v / "thumbnails" / "assets").mkdir(parents=True, exist_ok=True)
    (v / "video" / "runs").mkdir(parents=True, exist_ok=True)
    (world.share / "asset_vault" / "bgm").mkdir(parents=True, exist_ok=True)
    (world.share / "asset_vault" / "bgm" / "calm.mp3").write_bytes(b"ID3")
    return v


def scan(world) -> dict:
    config = load_config(argparse.Namespace(config=str(world.config_file)), environ={})
    config.pluginmanager = make_plugin_manager(autoload=False)
    return run_scan(config, Scope(), []).to_json()


def found(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == code]


def go_offline(world) -> None:
    (world.share / "README_MOUNTPOINT.txt").write_text("the SMB share is not mounted here")


# --- YTM201 -----------------------------------------------------------------------------------


def test_healthy_vault_has_no_vault_findings(world, vault) -> None:
    report = scan(world)
    assert [f["rule"] for f in report["findings"] if f["rule"].startswith("YTM2")] == []
    assert report["errors"] == []


def test_missing_sentinel_is_one_global_violation(world, vault) -> None:
    (vault / SENTINEL).unlink()
    (finding,) = found(scan(world), "YTM201")
    assert finding["severity"] == "violation"
    assert (finding["root"], finding["path"]) == ("vault", ".")
    assert finding["abs_path"] == str(vault)
    assert finding["details"]["problem"] == "missing"
    assert finding["details"]["sentinel"] == str(vault / SENTINEL)
    assert finding["details"]["expected_namespace"] == "factory_commentary"
    assert "missing" in finding["message"]


@pytest.mark.parametrize(
    ("content", "problem", "words"),
    [
        (b'{"schema": "ytm.vault_workspaces_root.v1", "names', "unparsable", "invalid JSON"),
        (b"", "unparsable", "invalid JSON"),
        (b'{"namespace": "factory_\xff\xfe"}', "unparsable", "not UTF-8"),
        (b'["factory_commentary"]', "not-an-object", "list"),
        (b'{"schema": "ytm.vault_workspaces_root.v1"}', "wrong-namespace", "no namespace"),
    ],
    ids=["truncated", "empty", "not-utf8", "array", "no-namespace"],
)
def test_broken_sentinel_is_reported_not_crashed_on(world, vault, content, problem, words) -> None:
    (vault / SENTINEL).write_bytes(content)
    report = scan(world)
    (finding,) = found(report, "YTM201")
    assert finding["details"]["problem"] == problem
    assert words in finding["details"]["error"]
    assert words in finding["message"]
    assert report["errors"] == []


def test_sentinel_of_another_namespace_names_both(world, vault) -> None:
    (vault / SENTINEL).write_text(json.dumps({"namespace": "factory_kids"}), encoding="utf-8")
    (finding,) = found(scan(world), "YTM201")
    assert finding["details"]["problem"] == "wrong-namespace"
    assert finding["details"]["namespace"] == "factory_kids"
    assert finding["details"]["expected_namespace"] == "factory_commentary"
    assert "factory_kids" in finding["message"]


def test_sentinel_matching_a_configured_namespace_is_healthy(world, vault) -> None:
    (vault / SENTINEL).write_text(json.dumps({"namespace": "factory_kids"}), encoding="utf-8")
    world.configure(shared_storage={"namespace": "factory_kids"})
    (world.share / "uploads" / "factory_kids").mkdir(parents=True)
    assert found(scan(world), "YTM201") == []


def test_sentinel_not_judged_while_the_share_is_a_stub(world, vault) -> None:
    (vault / SENTINEL).unlink()
    go_offline(world)
    report = scan(world)
    assert found(report, "YTM201") == []
    assert len(found(report, "YTM101")) == 1  # the one finding: the share is down


def test_sentinel_not_judged_without_ytm_workspaces(world) -> None:
    shutil.rmtree(world.share / "ytm_workspaces")
    assert (world.share / "asset_vault").is_dir()
    report = scan(world)
    assert found(report, "YTM201") == []
    assert found(report, "YTM203") == []
    (degraded,) = found(report, "YTM102")
    assert "ytm_workspaces/ is missing" in degraded["message"]


# --- YTM202 -----------------------------------------------------------------------------------


def test_absolute_link_into_the_share_gets_its_portable_target(world, vault) -> None:
    link = vault / "video" / "input" / "CH01" / "_shared_bgm"
    link.parent.mkdir(parents=True)
    link.symlink_to(world.share / "asset_vault" / "bgm")
    report = scan(world)
    (finding,) = found(report, "YTM202")
    assert finding["severity"] == "violation"
    assert (finding["root"], finding["path"]) == ("vault", "video/input/CH01/_shared_bgm")
    details = finding["details"]
    assert details["target"] == str(world.share / "asset_vault" / "bgm")
    assert details["share_relative"] == "asset_vault/bgm"
    assert details["relative_target"] == "../../../../asset_vault/bgm"
    assert details["resolves"] is True
    assert "unfixable" not in details
    # The proposed relative link really reaches the same directory.
    assert os.path.samefile(link.parent / details["relative_target"], link)
    assert found(report, "YTM301") == []


def test_absolute_link_through_another_hosts_mount_maps_via_host_alias(world, vault) -> None:
    world.configure(shared_storage={"host_aliases": [ALIAS]})
    link = vault / "thumbnails" / "assets" / "CH02"
    link.symlink_to(f"{ALIAS}/asset_vault/bgm")  # made on the gateway: dangles here
    report = scan(world)
    (finding,) = found(report, "YTM202")
    assert finding["details"]["share_relative"] == "asset_vault/bgm"
    assert finding["details"]["relative_target"] == "../../../asset_vault/bgm"
    assert finding["details"]["resolves"] is True
    assert "unfixable" not in finding["details"]
    assert found(report, "YTM301") == []  # dangling here, but YTM202 owns absolute Vault links


def test_absolute_link_outside_the_share_is_unfixable(world, vault) -> None:
    outside = world.ws / "video" / "input" / "CH01"
    outside.mkdir(parents=True)
    link = vault / "video" / "input" / "CH01"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)  # resolves on this Mac only
    (finding,) = found(scan(world), "YTM202")
    assert finding["details"]["share_relative"] is None
    assert finding["details"]["relative_target"] is None
    assert "not on the share" in finding["details"]["unfixable"]
    assert finding["fix"] is None


def test_absolute_link_whose_share_target_is_gone_is_unfixable(world, vault) -> None:
    link = vault / "video" / "runs" / "old_images"
    link.symlink_to(world.share / "asset_vault" / "images_deleted")
    (finding,) = found(scan(world), "YTM202")
    assert finding["details"]["share_relative"] == "asset_vault/images_deleted"
    assert finding["details"]["resolves"] is False
    assert "would not resolve" in finding["details"]["unfixable"]


def test_absolute_link_in_asset_vault_is_reported_under_share(world, vault) -> None:
    link = world.share / "asset_vault" / "bgm" / "default.mp3"
    link.symlink_to(world.share / "asset_vault" / "bgm" / "calm.mp3")
    (finding,) = found(scan(world), "YTM202")
    assert (finding["root"], finding["path"]) == ("share", "asset_vault/bgm/default.mp3")
    assert finding["details"]["relative_target"] == "calm.mp3"


def test_relative_links_and_absolute_links_on_hot_are_not_ytm202(world, vault) -> None:
    (vault / "video" / "input" / "CH01").mkdir(parents=True)
    (vault / "video" / "input" / "CH01" / "_shared_bgm").symlink_to("../../../../asset_vault/bgm")
    (world.share / "asset_vault" / "bgm" / "default.mp3").symlink_to("calm.mp3")
    hot = world.ws / "video" / "input" / "CH13"
    hot.mkdir(parents=True)
    (hot / "theme.mp3").write_bytes(b"ID3")
    (world.ws / "video" / "input" / "theme.mp3").symlink_to(hot / "theme.mp3")  # Hot, not Vault
    report = scan(world)
    assert found(report, "YTM202") == []
    assert found(report, "YTM301") == []


def test_absolute_backup_residue_is_ytm303_not_ytm202(world, vault) -> None:
    folder = vault / "video" / "input" / "CH02"
    folder.mkdir(parents=True)
    (folder / "CH02-012.symlink_shared_backup_20260126T070401Z").symlink_to(
        world.share / "asset_vault" / "bgm"
    )
    report = scan(world)
    assert found(report, "YTM202") == []
    assert len(found(report, "YTM303")) == 1


def test_absolute_links_not_walked_while_the_share_is_a_stub(world, vault) -> None:
    (vault / "video" / "runs" / "bgm").symlink_to(world.share / "asset_vault" / "bgm")
    go_offline(world)
    report = scan(world)
    assert found(report, "YTM202") == []
    assert "skipped" in report["config"]["walks"]["vault"]


# --- YTM203 -----------------------------------------------------------------------------------


def test_missing_required_dirs_one_finding_each(world, vault) -> None:
    (vault / "video" / "runs").rmdir()
    (world.share / "asset_vault" / "bgm" / "calm.mp3").unlink()
    (world.share / "asset_vault" / "bgm").rmdir()
    (world.share / "asset_vault").rmdir()
    report = scan(world)
    findings = found(report, "YTM203")
    assert [(f["root"], f["path"]) for f in findings] == [
        ("share", "asset_vault"),
        ("share", "ytm_workspaces/video/runs"),
    ]
    for f in findings:
        assert f["severity"] == "warning"
        assert f["details"]["state"] == "missing"
        assert f["abs_path"] == str(world.share / f["path"])
        assert "unfixable" not in f["details"]


def test_required_dirs_come_from_the_policy_key(world, vault) -> None:
    world.configure(vault={"required_dirs": ["asset_vault/se", "ytm_workspaces/video/runs"]})
    (finding,) = found(scan(world), "YTM203")
    assert finding["path"] == "asset_vault/se"
    assert finding["details"]["policy_key"] == "vault.required_dirs"


def test_a_file_where_a_required_dir_should_be_is_unfixable(world, vault) -> None:
    (vault / "thumbnails" / "assets").rmdir()
    (vault / "thumbnails" / "assets").write_text("not a dir")
    (finding,) = found(scan(world), "YTM203")
    assert finding["path"] == "ytm_workspaces/thumbnails/assets"
    assert finding["details"]["state"] == "not a directory"
    assert "unfixable" in finding["details"]


def test_required_dir_that_is_a_working_link_is_fine(world, vault) -> None:
    (vault / "video" / "runs").rmdir()
    (vault / "video" / "runs").symlink_to("../../asset_vault")
    report = scan(world)
    assert found(report, "YTM203") == []
    assert found(report, "YTM301") == []


def test_required_dirs_not_judged_offline(world, vault) -> None:
    (vault / "video" / "runs").rmdir()
    go_offline(world)
    assert found(scan(world), "YTM203") == []


def test_without_ytm_workspaces_only_asset_vault_is_checked(world) -> None:
    shutil.rmtree(world.share / "ytm_workspaces")
    (world.share / "asset_vault").rmdir()
    report = scan(world)
    assert [f["path"] for f in found(report, "YTM203")] == ["asset_vault"]
    assert len(found(report, "YTM102")) == 1


def test_absolute_link_findings_carry_the_channel_for_channel_scans(vault, cli):
    """The Vault mirrors the workspace layout: `--channel CH01` narrows YTM202 findings too."""
    link = vault / "video" / "input" / "CH01" / "bgm"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("/Volumes/elsewhere/bgm", link)
    other = vault / "video" / "input" / "CH02" / "bgm"
    other.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("/Volumes/elsewhere/bgm2", other)
    result = cli("--select", "YTM202", "--channel", "CH01", "--json", "--no-save")
    found = [(f["path"], f["channel"]) for f in result.json()["findings"]]
    assert found == [("video/input/CH01/bgm", "CH01")]
