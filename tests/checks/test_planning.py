"""YTM601 planning-root-drift and YTM602 planning-cache-drift, through a real scan of temp dirs.

The factory: a Hot workspace whose planning/ cache equals the Vault's planning SoT, a share
(plain dir, require_mount false) and an ops/ dir for dotenv files and systemd units.
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.report import Report
from ytm_doctor.session import run_scan

ALIAS = "/srv/workspace/doraemon/workspace/lenovo_share"  # the Linux gateway's mount
CH01 = "動画番号,タイトル,進捗\r\n001,年金だけで暮らす老後の現実,動画編集\r\n"
CH01_POSTED = "動画番号,タイトル,進捗\r\n001,年金だけで暮らす老後の現実,投稿済み\r\n"
CH02 = "動画番号,タイトル,進捗\r\n010,新NISAで失敗する人の共通点,凍結\r\n"


@pytest.fixture
def factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "share" / "uploads" / "factory_commentary").mkdir(parents=True)
    for planning in (tmp_path / "ws" / "planning", vault_planning(tmp_path)):
        write(planning / "channels" / "CH01.csv", CH01)
        write(planning / "channels" / "CH02.csv", CH02)
        write(planning / "personas" / "CH01.md", "# ペルソナ\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def vault_planning(root: Path) -> Path:
    return root / "share" / "ytm_workspaces" / "planning"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def scan(
    root: Path,
    settings: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    select: str = "YTM6",
    scope: Scope | None = None,
    **flags: Any,
) -> Report:
    data: dict[str, Any] = {
        "workspace_root": "ws",
        "shared_storage": {
            "root": "share",
            "require_mount": False,
            "fallback_root": "outbox",
            "host_aliases": [ALIAS],
        },
    }
    data.update(settings or {})
    cfg = root / "ytm-doctor.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    options = argparse.Namespace(config=str(cfg), set=[], select=[select], **flags)
    config = load_config(options, environ=dict(environ or {}))
    config.pluginmanager = make_plugin_manager(autoload=False)
    report = run_scan(config, scope or Scope(), [])
    assert not [e for e in report.errors if e["kind"] == "check"], report.errors
    return report


def by_rule(report: Report, code: str) -> list[dict]:
    return [f.to_json() for f in report.findings if f.rule == code]


def env_files(*names: str) -> dict[str, Any]:
    return {"planning": {"env_files": list(names)}}


def go_offline(root: Path) -> None:
    write(root / "share" / "README_MOUNTPOINT.txt", "the SMB share is not mounted here\n")


# --- YTM601 planning-root-drift ----------------------------------------------------------------


def test_mac_env_file_and_gateway_unit_naming_the_same_share_dir_agree(factory: Path) -> None:
    # The Mac mounts the share at share/, the Linux gateway at ALIAS: the same directory.
    write(factory / "ops/env/ytm.env", f"YTM_PLANNING_ROOT={vault_planning(factory)}\n")
    write(
        factory / "ops/systemd/factory_ui_hub.service",
        "[Service]\n"
        f'Environment="YTM_WORKSPACE_ROOT={ALIAS}/ytm_workspaces" '
        f'"YTM_PLANNING_ROOT={ALIAS}/ytm_workspaces/planning"\n'
        "ExecStart=/usr/bin/python3 -m factory_ui_hub\n",
    )
    report = scan(factory, env_files("ops/env/ytm.env", "ops/systemd/factory_ui_hub.service"))
    assert by_rule(report, "YTM601") == []
    assert by_rule(report, "YTM602") == []


def test_unit_pointing_at_the_hot_cache_is_drift(factory: Path) -> None:
    write(factory / "ops/env/ytm.env", f'export YTM_PLANNING_ROOT="{vault_planning(factory)}"\n')
    unit = write(
        factory / "ops/systemd/factory_ui_hub.service",
        f"[Service]\nEnvironment=YTM_PLANNING_ROOT={factory / 'ws' / 'planning'}\n",
    )
    report = scan(factory, env_files("ops/env/ytm.env", "ops/systemd/factory_ui_hub.service"))
    (finding,) = by_rule(report, "YTM601")
    assert finding["severity"] == "violation"
    assert (finding["root"], finding["path"]) == ("planning", ".")
    assert finding["abs_path"] == str(vault_planning(factory))
    details = finding["details"]
    assert details["sot"] == str(vault_planning(factory))
    sources = {d["source"]: d for d in details["declarations"]}
    assert sources[f"env_file ({unit}:2)"]["value"] == str(factory / "ws" / "planning")
    assert sources[f"env_file ({unit}:2)"]["exists"] is True
    env_decl = sources[f"env_file ({factory / 'ops/env/ytm.env'}:1)"]
    assert env_decl["value"] == str(vault_planning(factory))  # quotes and `export` stripped
    problems = details["problems"]
    assert any(p.startswith("the planning root declarations disagree") for p in problems)
    assert any("Hot cache" in p and str(unit) in p for p in problems)
    assert "Hot cache" in finding["message"]
    assert finding["fix"] is None
    assert report.exit_code == 1


def test_hot_cache_alone_is_drift_while_the_vault_sot_exists(factory: Path) -> None:
    report = scan(factory, {"planning_root": "ws/planning"})
    (finding,) = by_rule(report, "YTM601")
    assert len(finding["details"]["problems"]) == 1
    assert "Hot cache" in finding["details"]["problems"][0]
    (decl,) = finding["details"]["declarations"]
    assert decl["source"].startswith("file (")


def test_hot_cache_is_fine_where_there_is_no_vault_sot(factory: Path) -> None:
    # Before the seed of seed 002 (the Vault's planning/ was empty), the Mac's copy was the one.
    shutil.rmtree(vault_planning(factory))
    report = scan(factory, {"planning_root": "ws/planning"})
    assert by_rule(report, "YTM601") == []


def test_declared_dir_that_does_not_exist(factory: Path) -> None:
    report = scan(factory, {"planning_root": "elsewhere/planning"})
    (finding,) = by_rule(report, "YTM601")
    (problem,) = finding["details"]["problems"]
    assert str(factory / "elsewhere" / "planning") in problem
    assert "not an existing directory" in problem
    assert finding["details"]["declarations"][0]["exists"] is False


def test_missing_share_dir_is_not_judged_while_the_share_is_offline(factory: Path) -> None:
    declared = factory / "share" / "ytm_workspaces" / "planning_v2"
    write(factory / "ops/env/ytm.env", f"YTM_PLANNING_ROOT={declared}\n")
    settings = {"planning_root": str(declared), **env_files("ops/env/ytm.env")}
    (online,) = by_rule(scan(factory, settings), "YTM601")
    assert "not an existing directory" in online["message"]

    go_offline(factory)
    report = scan(factory, settings)
    assert by_rule(report, "YTM601") == []  # YTM101 reports the share; nothing to compare


def test_env_var_and_config_file_disagree(factory: Path) -> None:
    other = factory / "other_planning"
    other.mkdir()
    report = scan(
        factory,
        {"planning_root": str(vault_planning(factory))},
        environ={"YTM_PLANNING_ROOT": str(other)},
    )
    (finding,) = by_rule(report, "YTM601")
    sources = {d["source"].split(" ")[0]: d["value"] for d in finding["details"]["declarations"]}
    assert sources == {"env": str(other), "file": str(vault_planning(factory))}
    assert finding["details"]["sot"] == str(other)  # env wins, as in SPEC §3
    assert "disagree" in finding["message"]


def test_flag_hides_the_file_value_but_both_are_compared(factory: Path) -> None:
    report = scan(
        factory, {"planning_root": "ws/planning"}, planning_root=str(vault_planning(factory))
    )
    (finding,) = by_rule(report, "YTM601")
    kinds = sorted(d["source"].split(" ")[0] for d in finding["details"]["declarations"])
    assert kinds == ["file", "flag"]


def test_env_file_declaring_another_dir_than_the_derived_sot(factory: Path) -> None:
    other = factory / "old_repo" / "planning"
    other.mkdir(parents=True)
    write(factory / "ops/env/ytm.env", f"# legacy\nYTM_PLANNING_ROOT='{other}'\n")
    report = scan(factory, env_files("ops/env/ytm.env"))
    (finding,) = by_rule(report, "YTM601")
    values = {d["value"] for d in finding["details"]["declarations"]}
    assert values == {str(other), str(vault_planning(factory))}
    assert any(d["source"].startswith("derived") for d in finding["details"]["declarations"])


@pytest.mark.parametrize(
    "line",
    [
        'YTM_PLANNING_ROOT="{p}"',
        "export YTM_PLANNING_ROOT='{p}'",
        'Environment="YTM_PLANNING_ROOT={p}"',
        'Environment="OTHER=1" "YTM_PLANNING_ROOT={p}"',
        'YTM_PLANNING_ROOT="{p}"  # the Vault',
    ],
)
def test_env_file_syntaxes_are_read(factory: Path, line: str) -> None:
    target = factory / "with space" / "planning"
    target.mkdir(parents=True)
    write(factory / "ops/any.env", "[Service]\n" + line.format(p=target) + "\n")
    report = scan(factory, {"planning_root": str(target), **env_files("ops/any.env")})
    assert by_rule(report, "YTM601") == []  # read correctly, so it agrees with the config
    write(factory / "ops/any.env", line.format(p=factory / "with space") + "\n")
    (finding,) = by_rule(
        scan(factory, {"planning_root": str(target), **env_files("ops/any.env")}), "YTM601"
    )
    assert str(factory / "with space") in {d["value"] for d in finding["details"]["declarations"]}


def test_commented_and_other_variables_are_not_declarations(factory: Path) -> None:
    write(
        factory / "ops/env/ytm.env",
        "# YTM_PLANNING_ROOT=/nowhere\n; YTM_PLANNING_ROOT=/nowhere\n"
        "YTM_PLANNING_ROOT_OLD=/nowhere\nYTM_PLANNING_ROOT=\n",
    )
    report = scan(factory, env_files("ops/env/ytm.env"))
    assert by_rule(report, "YTM601") == []


def test_unreadable_or_binary_env_files_do_not_crash(factory: Path) -> None:
    write(factory / "ops/bin.env", b"\xff\xfe junk\nYTM_PLANNING_ROOT=/nowhere/\xff\n\x00")
    report = scan(factory, env_files("ops/missing.env", "ops/bin.env"))
    (finding,) = by_rule(report, "YTM601")  # the binary file's value is a missing dir
    assert "not an existing directory" in finding["message"]
    assert all("missing.env" not in d["source"] for d in finding["details"]["declarations"])
    finding_json = report.to_json()  # undecodable bytes survive into the JSON report
    assert "\\xff" in str(finding_json["findings"])


def test_nothing_declared_and_derived_sot_missing(factory: Path) -> None:
    shutil.rmtree(vault_planning(factory))
    (finding,) = by_rule(scan(factory), "YTM601")
    assert finding["details"]["declarations"] == []
    assert "derived" in finding["details"]["problems"][0]

    go_offline(factory)
    assert by_rule(scan(factory), "YTM601") == []


def test_nothing_declared_and_derived_sot_present_is_healthy(factory: Path) -> None:
    report = scan(factory)
    assert by_rule(report, "YTM601") == []
    assert by_rule(report, "YTM602") == []


# --- YTM602 planning-cache-drift ---------------------------------------------------------------


def test_status_updated_on_the_vault_but_not_in_the_cache(factory: Path) -> None:
    # Same length on purpose: the sizes match, so only the hashes can tell.
    assert len(CH01.encode()) == len(CH01_POSTED.encode())
    write(vault_planning(factory) / "channels" / "CH01.csv", CH01_POSTED)
    report = scan(factory)
    (finding,) = by_rule(report, "YTM602")
    assert finding["severity"] == "warning"
    assert (finding["root"], finding["path"]) == ("workspace", "planning/channels/CH01.csv")
    assert finding["abs_path"] == str(factory / "ws" / "planning" / "channels" / "CH01.csv")
    assert finding["channel"] == "CH01" and finding["video"] is None
    details = finding["details"]
    assert details["reason"] == "differs"
    assert details["channel"] == "CH01"
    assert details["sot_path"] == str(vault_planning(factory) / "channels" / "CH01.csv")
    assert details["cache_sha256"] != details["sot_sha256"]
    assert len(details["sot_sha256"]) == 64
    assert by_rule(report, "YTM601") == []
    assert report.exit_code == 0
    walks = report.to_json()["config"]["walks"]
    assert "vault" in walks and "planning" not in walks  # the Vault's own walk served the SoT


def test_each_differing_file_is_its_own_finding(factory: Path) -> None:
    write(vault_planning(factory) / "channels" / "CH02.csv", CH02 + "011,相続,台本作成中\r\n")
    write(vault_planning(factory) / "channels" / "CH13.csv", "動画番号,進捗\r\n")
    write(vault_planning(factory) / "templates" / "outline.md", "# 構成\n")
    write(factory / "ws" / "planning" / "scratch" / "notes.md", "cache-only, not reported\n")
    findings = by_rule(scan(factory), "YTM602")
    got = {f["path"]: f["details"]["reason"] for f in findings}
    assert got == {
        "planning/channels/CH02.csv": "differs",
        "planning/channels/CH13.csv": "missing from cache",
        "planning/templates/outline.md": "missing from cache",
    }
    by_path = {f["path"]: f for f in findings}
    assert by_path["planning/templates/outline.md"]["channel"] is None
    assert by_path["planning/channels/CH13.csv"]["channel"] == "CH13"
    assert (
        by_path["planning/channels/CH02.csv"]["details"]["cache_size"]
        < (by_path["planning/channels/CH02.csv"]["details"]["sot_size"])
    )


def test_channel_scope_keeps_only_that_channel(factory: Path) -> None:
    write(vault_planning(factory) / "channels" / "CH01.csv", CH01_POSTED)
    write(vault_planning(factory) / "channels" / "CH02.csv", CH02 + "011,x,y\r\n")
    report = scan(factory, scope=Scope(channel="CH02"))
    assert [f["path"] for f in by_rule(report, "YTM602")] == ["planning/channels/CH02.csv"]


def test_cache_file_reached_through_a_link_is_compared_by_content(factory: Path) -> None:
    cache = factory / "ws" / "planning" / "channels"
    (cache / "CH02.csv").unlink()
    write(factory / "ws" / "planning" / "_real" / "CH02.csv", CH02)
    (cache / "CH02.csv").symlink_to(Path("..") / "_real" / "CH02.csv")
    assert by_rule(scan(factory), "YTM602") == []


def test_nothing_is_compared_while_the_share_is_offline(factory: Path) -> None:
    # An SoT on the share but outside ytm_workspaces/ is walked on its own, so only the share
    # state keeps a stub's leftovers from being taken for the SoT.
    sot = factory / "share" / "planning_main"
    write(sot / "channels" / "CH01.csv", CH01_POSTED)
    settings = {"planning_root": str(sot)}
    (online,) = by_rule(scan(factory, settings, select="YTM602"), "YTM602")
    assert online["path"] == "planning/channels/CH01.csv"

    go_offline(factory)
    assert by_rule(scan(factory, settings, select="YTM602"), "YTM602") == []


def test_cache_that_is_the_sot_is_not_compared(factory: Path) -> None:
    write(vault_planning(factory) / "channels" / "CH01.csv", CH01_POSTED)
    cache = factory / "ws" / "planning"
    shutil.rmtree(cache)
    cache.symlink_to(vault_planning(factory))  # the Hot "cache" is the Vault SoT itself
    assert by_rule(scan(factory, select="YTM602"), "YTM602") == []


def test_without_a_local_cache_there_is_nothing_to_drift(factory: Path) -> None:
    (factory / "ws" / "planning").rename(factory / "old_cache")
    assert by_rule(scan(factory, select="YTM602"), "YTM602") == []


def test_sot_outside_workspace_and_vault_gets_its_own_walk(factory: Path) -> None:
    sot = factory / "planning_main"
    write(sot / "channels" / "CH01.csv", CH01_POSTED)
    write(sot / "channels" / "CH02.csv", CH02)
    report = scan(factory, {"planning_root": str(sot)}, select="YTM602")
    (finding,) = by_rule(report, "YTM602")
    assert finding["path"] == "planning/channels/CH01.csv"
    assert finding["details"]["sot_path"] == str(sot / "channels" / "CH01.csv")
    walks = report.to_json()["config"]["walks"]
    assert walks["planning"]["path"] == str(sot)


def test_sot_named_through_a_host_alias_is_read_on_this_host(factory: Path) -> None:
    write(vault_planning(factory) / "channels" / "CH01.csv", CH01_POSTED)
    report = scan(factory, {"planning_root": f"{ALIAS}/ytm_workspaces/planning"})
    assert [f["path"] for f in by_rule(report, "YTM602")] == ["planning/channels/CH01.csv"]
    assert by_rule(report, "YTM601") == []  # the alias path is the Vault SoT, not a missing dir


def test_non_utf8_names_are_reported_not_crashed_on(factory: Path) -> None:
    name = os.fsdecode(b"memo_\xff.txt")
    write(vault_planning(factory) / "notes" / name, "x")
    report = scan(factory, select="YTM602")
    (finding,) = by_rule(report, "YTM602")
    assert finding["path"] == "planning/notes/memo_\\xff.txt"
    assert "abs_path_b64" in finding


def test_rule_names_its_fixer() -> None:
    from ytm_doctor.checks.planning import CACHE_DRIFT, ROOT_DRIFT

    assert CACHE_DRIFT.fixer == "reseed-planning-cache"
    # Only a missing Vault SoT is fixed (seeded from the cache); other drifts are unfixable.
    assert ROOT_DRIFT.fixer == "seed-planning"
