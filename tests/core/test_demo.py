"""The demo factory (SPEC §11): a real tree, rebuildable in place, never clobbering foreign dirs."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
from pathlib import Path

import pytest
import yaml

from ytm_doctor.demo import MARKER_NAME, DemoInfo, build_demo
from ytm_doctor.errors import UsageError


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoInfo:
    return build_demo(tmp_path_factory.mktemp("demo") / "factory")


def all_symlinks(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):  # followlinks=False: linked dirs stay in `dirs`
        found += [Path(folder) / n for n in dirs + files if (Path(folder) / n).is_symlink()]
    return found


def test_builds_into_a_new_dir_and_writes_the_marker(demo: DemoInfo) -> None:
    assert (demo.dest / MARKER_NAME).is_file()
    assert demo.config == demo.dest / "ytm-doctor.yaml"
    assert demo.offline_config == demo.dest / "ytm-doctor.offline.yaml"
    readme = (demo.dest / "README.txt").read_text(encoding="utf-8")
    assert f"ytm-doctor --config {demo.config}" in readme
    assert f"ytm-doctor --config {demo.offline_config}" in readme


def test_rebuilding_a_marked_demo_in_place_works(tmp_path: Path) -> None:
    dest = tmp_path / "factory"
    first = build_demo(dest)
    stray = dest / "workspaces" / "scratch.txt"
    stray.write_text("left over from the previous demo")
    second = build_demo(dest)
    assert second.instances == first.instances
    assert not stray.exists()
    assert (dest / MARKER_NAME).is_file()


def test_an_empty_existing_dir_is_accepted(tmp_path: Path) -> None:
    info = build_demo(tmp_path)
    assert (tmp_path / MARKER_NAME).is_file()
    assert info.dest == tmp_path


def test_a_foreign_non_empty_dir_is_refused_and_left_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "precious"
    (dest / "sub").mkdir(parents=True)
    (dest / "notes.txt").write_text("keep me")
    (dest / "sub" / "data.bin").write_bytes(b"\x00\x01")
    before = sorted(p.relative_to(dest) for p in dest.rglob("*"))
    with pytest.raises(UsageError, match="not empty"):
        build_demo(dest, force=True)
    assert sorted(p.relative_to(dest) for p in dest.rglob("*")) == before
    assert (dest / "notes.txt").read_text() == "keep me"


def test_a_file_as_destination_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        build_demo(target)


def test_every_healthy_symlink_resolves_and_is_relative(demo: DemoInfo) -> None:
    links = all_symlinks(demo.dest)
    assert len(links) >= 10
    dangling = {demo.dest / rel for rel in demo.expected_dangling}
    assert dangling, "a Published episode's deleted draft should leave one dangling link"
    for link in links:
        if link in dangling:  # planted or by policy; may be absolute (YTM202)
            assert not os.path.exists(link), link
        else:
            assert not os.path.isabs(os.readlink(link)), link
            assert os.path.exists(link), f"{link} -> {os.readlink(link)}"


def test_run_draft_links_agree_with_their_info_files(demo: DemoInfo) -> None:
    runs = demo.dest / "workspaces" / "video" / "runs"
    run = runs / "CH02-012__20260120T101500Z"
    info = json.loads((run / "capcut_draft_info.json").read_text(encoding="utf-8"))
    assert info["episode"] == "CH02-012"
    assert os.path.samefile(run / "capcut_draft", info["draft_path"])
    assert (run / "capcut_draft" / "draft_content.json").is_file()
    assert (run / "remotion" / "output" / "final.mp4").stat().st_size > 0
    status = demo.dest / "workspaces" / "scripts" / "CH02" / "012" / "status.json"
    assert json.loads(status.read_text(encoding="utf-8"))["metadata"]["video_run_id"] == run.name


def test_config_parses_with_the_expected_keys(demo: DemoInfo) -> None:
    config = yaml.safe_load(demo.config.read_text(encoding="utf-8"))
    assert config["workspace_root"] == "workspaces"
    share = config["shared_storage"]
    assert share["root"] == "share"
    assert share["require_mount"] is False
    assert share["namespace"] == "factory_commentary"
    assert share["host_aliases"] == ["/srv/workspace/doraemon/workspace/lenovo_share"]
    assert config["capcut"]["draft_root"] == "capcut_drafts"
    assert config["planning"]["env_files"] == [
        "ops/env/ytm.env",
        "ops/systemd/ytm-mirror.service",
        "ops/systemd/factory_ui_hub.service",
    ]
    assert config["disk"] == {"warn_free_gib": 100000, "stop_free_gib": 80}  # YTM501 planted
    assert (demo.config.parent / config["workspace_root"]).is_dir()  # relative to the file
    assert (demo.config.parent / config["capcut"]["draft_root"]).is_dir()

    offline = yaml.safe_load(demo.offline_config.read_text(encoding="utf-8"))
    assert offline["shared_storage"]["root"] == "offline/share"
    assert offline["shared_storage"]["require_mount"] is False
    assert offline["workspace_root"] == "workspaces"


def test_env_file_points_at_the_share_planning_dir(demo: DemoInfo) -> None:
    lines = (demo.dest / "ops" / "env" / "ytm.env").read_text(encoding="utf-8").splitlines()
    values = [line.split("=", 1)[1] for line in lines if line.startswith("YTM_PLANNING_ROOT=")]
    assert len(values) == 1
    planning = Path(values[0].strip('"'))
    assert planning == demo.dest / "share" / "ytm_workspaces" / "planning"
    assert (planning / "channels" / "CH01.csv").is_file()


def test_vault_sentinel_and_planning_sot(demo: DemoInfo) -> None:
    vault = demo.dest / "share" / "ytm_workspaces"
    text = (vault / ".ytm_vault_workspaces_root.json").read_text(encoding="utf-8")
    with pytest.raises(json.JSONDecodeError):  # truncated on purpose (YTM201)
        json.loads(text)
    assert text.startswith('{\n  "schema": "ytm.vault_workspaces_root.v1"')
    offline = demo.dest / "offline/outbox/ytm_share/ytm_workspaces/.ytm_vault_workspaces_root.json"
    assert json.loads(offline.read_text(encoding="utf-8"))["namespace"] == "factory_commentary"
    for channel in ("CH01", "CH02", "CH13"):
        sot = (vault / "planning" / "channels" / f"{channel}.csv").read_bytes()
        cache = demo.dest / "workspaces" / "planning" / "channels" / f"{channel}.csv"
        if channel != "CH01":  # CH01's cache is stale on purpose (YTM602)
            assert cache.read_bytes() == sot
        rows = list(csv.DictReader(io.StringIO(sot.decode("utf-8-sig"))))
        assert rows and list(rows[0]) == ["動画番号", "タイトル", "進捗"]
        assert {r["進捗"] for r in rows} <= {"投稿済み", "凍結", "台本作成中", "未着手"}


def test_thumbnails_reference_existing_pngs_but_the_planted_one(demo: DemoInfo) -> None:
    thumbs = demo.dest / "workspaces" / "thumbnails"
    projects = json.loads((thumbs / "projects.json").read_text(encoding="utf-8"))["projects"]
    assert projects
    missing = []
    for project in projects:
        for variant in project["variants"]:
            image = thumbs / "assets" / variant["image_path"]
            if not image.exists():
                missing.append(variant["image_path"])
                continue
            assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), image
    assert missing == ["CH02/012/v2/00_thumb.png"]  # YTM801's instance, and only that


def test_offline_share_is_a_stub_linking_to_a_local_outbox(demo: DemoInfo) -> None:
    share = demo.dest / "offline" / "share"
    marker = share / "README_MOUNTPOINT.txt"
    assert "not mounted" in marker.read_text(encoding="utf-8")
    link = share / "ytm_workspaces"
    assert link.is_symlink() and link.is_dir()
    target = Path(os.path.realpath(link))
    assert target == Path(os.path.realpath(demo.dest / "offline/outbox/ytm_share/ytm_workspaces"))
    assert (link / ".ytm_vault_workspaces_root.json").is_file()


def test_planted_instances(demo: DemoInfo) -> None:
    assert {"YTM100", "YTM101", "YTM102"} <= set(demo.instances)
    assert all(isinstance(v, str) and v and "\n" not in v for v in demo.instances.values())
    assert not (demo.dest / "ops" / "systemd" / "ytm-mirror.service").exists()  # YTM100
    assert not (demo.dest / "share" / "README_MOUNTPOINT.txt").exists()  # main share: no stub
    assert (demo.dest / "share" / "ytm_workspaces").is_dir()
    assert (demo.dest / "share" / "uploads" / "factory_commentary").is_dir()  # the store's base
    gateway = demo.dest / "gateway" / "share"
    assert not (gateway / "uploads").exists()  # YTM102, in the gateway view
    assert (gateway / "ytm_workspaces").resolve() == (
        demo.dest / "share" / "ytm_workspaces"
    ).resolve()
    unit = (demo.dest / "ops" / "systemd" / "factory_ui_hub.service").read_text(encoding="utf-8")
    assert f"YTM_PLANNING_ROOT={demo.dest / 'workspaces' / 'planning'}" in unit  # YTM601
    cache = demo.dest / "workspaces" / "planning" / "channels" / "CH01.csv"  # YTM602
    assert "003,認知症を防ぐ毎日の習慣,未着手" in cache.read_text(encoding="utf-8-sig")


def test_configs_resolve_relative_to_their_own_dir(
    demo: DemoInfo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ytm_doctor.config import load_config

    monkeypatch.chdir(tmp_path)  # anywhere but the demo: paths come from the file's dir
    main = load_config(argparse.Namespace(config=str(demo.config)), environ={}).paths
    assert main.workspace_root == demo.dest / "workspaces"
    assert main.planning_root.is_dir()
    assert main.sentinel.is_file()
    offline = load_config(argparse.Namespace(config=str(demo.offline_config)), environ={}).paths
    assert offline.stub_marker.is_file()
    # Seed 000 §1.1: the stub's ytm_workspaces link makes the outbox the parent of its target.
    assert offline.fallback_root == demo.dest / "offline" / "outbox" / "ytm_share"
