"""YTM401-YTM405, the Hot checks, through real scans of real temporary trees with real symlinks.

Each test builds a small factory with the `factory` fixture (the `world` of tests/conftest.py plus
CapCut drafts, planning rows, status.json files and runs) and reads the findings of one scan.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ytm_doctor import context as context_module
from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.mount import MountInfo
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.report import Report
from ytm_doctor.session import run_scan

HOT, FREEZE, PUBLISHED = "台本作成中", "凍結", "投稿済み"


class Factory:
    def __init__(self, world: Any) -> None:
        self.world = world
        self.root: Path = world.root
        self.ws: Path = world.ws
        self.share: Path = world.share
        self.drafts = self.root / "drafts"
        self.drafts.mkdir()
        (self.share / "asset_vault" / "bgm").mkdir(parents=True)
        self.rows: dict[str, list[tuple[str, str]]] = {}
        world.configure(capcut={"draft_root": "drafts"})

    # --- building ---------------------------------------------------------------------------

    def episode(
        self,
        ep: str,
        status: str = HOT,
        *,
        run_id: str | None = None,
        publish_lock: bool = False,
    ) -> None:
        """A planning row (in the Vault's SoT) and a status.json naming `run_id` if given."""
        channel, video = ep.split("-")
        self.rows.setdefault(channel, []).append((video, status))
        csv = self.share / "ytm_workspaces" / "planning" / "channels" / f"{channel}.csv"
        csv.parent.mkdir(parents=True, exist_ok=True)
        lines = ["動画番号,進捗", *(f"{v},{s}" for v, s in self.rows[channel])]
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        metadata = {"video_run_id": run_id} if run_id else {}
        status_json = {"publish_lock": publish_lock, "metadata": metadata}
        self.write_json(self.ws / "scripts" / channel / video / "status.json", status_json)

    def draft(self, name: str, where: Path | None = None) -> Path:
        path = (where or self.drafts) / name
        self.write_json(path / "draft_content.json", {"name": name})
        return path

    def run(
        self,
        run_id: str,
        link_to: Path | str | None = None,
        *,
        info: Path | str | None = None,
        relative: bool = True,
    ) -> Path:
        """video/runs/<run_id> with a capcut_draft link to `link_to` (relative unless told) and
        capcut_draft_info.json naming `info` (default: the link's target, as the tools write)."""
        run_dir = self.ws / "video" / "runs" / run_id
        (run_dir / "remotion" / "output").mkdir(parents=True)
        if link_to is not None:
            target = os.path.relpath(link_to, run_dir) if relative else os.fspath(link_to)
            (run_dir / "capcut_draft").symlink_to(target)
        recorded = info if info is not None else link_to
        if recorded is not None:
            self.write_json(run_dir / "capcut_draft_info.json", {"draft_path": str(recorded)})
        return run_dir

    def link(self, rel: str, target: Path | str, *, relative: bool = True) -> Path:
        path = self.ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = os.path.relpath(target, path.parent) if relative else os.fspath(target)
        path.symlink_to(text)
        return path

    @staticmethod
    def write_json(path: Path, data: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    # --- scanning ---------------------------------------------------------------------------

    def scan(self, select: str = "YTM4") -> Report:
        options = argparse.Namespace(config=str(self.world.config_file), select=[select])
        config = load_config(options, environ={})
        config.pluginmanager = make_plugin_manager(autoload=False)
        return run_scan(config, Scope(), [])

    def findings(self, code: str | None = None, select: str = "YTM4") -> list[dict]:
        report = self.scan(select)
        assert report.errors == [], report.errors
        return [f.to_json() for f in report.findings if code is None or f.rule == code]


@pytest.fixture
def factory(world) -> Factory:
    return Factory(world)


def rules(findings: list[dict]) -> list[str]:
    return sorted(f["rule"] for f in findings)


# --- YTM401 hot-draft-missing-locally -----------------------------------------------------------


def test_draft_link_into_the_share_is_401_with_the_local_candidate(factory: Factory) -> None:
    factory.episode("CH13-023", run_id="CH13-023__r1")
    on_share = factory.draft("CH13-023_明治維新", factory.share / "capcut_drafts_lenovo")
    local = factory.draft("CH13-023_明治維新")
    factory.run("CH13-023__r1", on_share)

    found = factory.findings()
    assert rules(found) == ["YTM401"]
    (f,) = found
    assert f["severity"] == "violation"
    assert (f["root"], f["path"]) == ("workspace", "video/runs/CH13-023__r1/capcut_draft")
    assert f["abs_path"] == str(factory.ws / "video/runs/CH13-023__r1/capcut_draft")
    assert (f["channel"], f["video"], f["episode"]) == ("CH13", "023", "CH13-023")
    d = f["details"]
    assert d["why"] == "on the share"
    assert d["share_relative"] == "capcut_drafts_lenovo/CH13-023_明治維新"
    assert d["resolved"] == os.path.realpath(on_share)
    assert d["link_target"] == os.path.relpath(on_share, factory.ws / "video/runs/CH13-023__r1")
    assert d["candidates"] == [str(local)]
    assert "unfixable" not in d
    assert "on the share" in f["message"] and str(local) in f["message"]


def test_freeze_episode_draft_on_the_share_is_only_a_warning(factory: Factory) -> None:
    factory.episode("CH13-022", FREEZE, run_id="CH13-022__r1")
    factory.run("CH13-022__r1", factory.draft("CH13-022_江戸", factory.share / "drafts"))
    (f,) = factory.findings("YTM401")
    assert f["severity"] == "warning"
    assert f["details"]["stage"] == "freeze"


def test_dangling_link_without_local_candidate_is_401_only_and_unfixable(
    factory: Factory,
) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    factory.draft("CH01-099_other_episode")  # a draft of someone else is no candidate
    factory.run("CH01-003__r1", factory.drafts / "CH01-003_deleted")

    found = factory.findings()
    assert rules(found) == ["YTM401"]
    d = found[0]["details"]
    assert d["why"] == "missing, no local candidate"
    assert d["candidates"] == []
    assert d["resolved"] is None
    assert "no local candidate" in d["unfixable"]


def test_link_to_a_host_alias_path_is_on_the_share(factory: Factory) -> None:
    alias = factory.root / "srv" / "lenovo_share"  # how the Linux gateway mounts the share
    factory.world.configure(shared_storage={"host_aliases": [str(alias)]})
    factory.episode("CH02-012", run_id="CH02-012__r1")
    factory.run("CH02-012__r1", factory.draft("CH02-012_退職金", alias / "drafts"), relative=False)
    (f,) = factory.findings("YTM401")
    assert f["details"]["why"] == "on the share"
    assert f["details"]["share_relative"] == "drafts/CH02-012_退職金"


def test_draft_on_a_network_filesystem_is_401(factory: Factory, monkeypatch) -> None:
    nas = factory.root / "nas"
    table = [MountInfo("/", "ext4", "/dev/sda1"), MountInfo(str(nas), "smbfs", "//nas/drafts")]
    monkeypatch.setattr(context_module, "mount_table", lambda: table)
    factory.episode("CH02-013", run_id="CH02-013__r1")
    factory.run("CH02-013__r1", factory.draft("CH02-013_相続", nas))
    (f,) = factory.findings("YTM401")
    assert f["details"]["why"] == "on a network filesystem"
    assert f["details"]["share_relative"] is None


def test_two_local_candidates_make_401_unfixable(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    factory.run("CH01-003__r1", factory.draft("CH01-003_a", factory.share / "drafts"))
    factory.draft("CH01-003_a")
    factory.draft("ch01-003_copy")  # matched case-insensitively
    (f,) = factory.findings("YTM401")
    assert len(f["details"]["candidates"]) == 2
    assert f["details"]["unfixable"] == "2 candidates: choose one with --draft-dir"


def test_published_episode_with_deleted_or_shared_draft_is_not_reported(
    factory: Factory,
) -> None:
    # Drafts of Published episodes are deleted after posting by policy.
    factory.episode("CH01-002", PUBLISHED, run_id="CH01-002__r1")
    factory.run("CH01-002__r1", factory.drafts / "CH01-002_deleted_after_posting")
    factory.episode("CH01-001", HOT, run_id="CH01-001__r1", publish_lock=True)
    factory.run("CH01-001__r1", factory.draft("CH01-001_x", factory.share / "drafts"))
    assert factory.findings() == []


def test_healthy_relative_and_absolute_draft_links_are_not_reported(factory: Factory) -> None:
    factory.episode("CH02-012", run_id="CH02-012__r1")
    factory.run("CH02-012__r1", factory.draft("CH02-012_退職金"))
    factory.episode("CH02-013", FREEZE, run_id="CH02-013__r1")
    factory.run("CH02-013__r1", factory.draft("CH02-013_相続"), relative=False)
    assert factory.findings() == []


def test_only_the_adopted_run_is_judged(factory: Factory) -> None:
    factory.episode("CH01-004", run_id="CH01-004__new")
    factory.run("CH01-004__old", factory.drafts / "CH01-004_superseded")  # dangles, not adopted
    factory.run("CH01-004__new", factory.draft("CH01-004_current"))
    assert factory.findings() == []


def test_a_run_with_no_draft_yet_is_not_reported(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    factory.run("CH01-003__r1")
    assert factory.findings() == []


# --- YTM402 run-dir-symlink-broken ---------------------------------------------------------------


def test_dangling_link_with_one_local_candidate_is_402_and_fixable(factory: Factory) -> None:
    factory.episode("CH02-013", run_id="CH02-013__r1")
    old = factory.drafts / "CH02-013_相続"
    renamed = factory.draft("CH02-013_相続_v2")  # CapCut renamed the project folder
    factory.run("CH02-013__r1", old)

    found = factory.findings()
    assert rules(found) == ["YTM402"]  # reported once: not also YTM401
    (f,) = found
    assert f["severity"] == "violation"
    assert f["path"] == "video/runs/CH02-013__r1/capcut_draft"
    assert f["episode"] == "CH02-013"
    d = f["details"]
    assert d["reason"] == "dangling"
    assert d["candidates"] == [str(renamed)]
    assert d["info_draft_path"] == str(old)
    assert d["link_target"] == os.path.relpath(old, factory.ws / "video/runs/CH02-013__r1")
    assert "unfixable" not in d
    assert "dangles" in f["message"] and str(renamed) in f["message"]


def test_looping_draft_link_is_402_like_a_dangling_one(factory: Factory) -> None:
    factory.episode("CH13-022", FREEZE, run_id="CH13-022__r1")
    run_dir = factory.run("CH13-022__r1")
    (run_dir / "capcut_draft").symlink_to("capcut_draft")
    draft = factory.draft("CH13-022_江戸")
    (f,) = factory.findings("YTM402", select="YTM")
    assert f["details"]["link_state"] == "loop"
    assert f["details"]["candidates"] == [str(draft)]
    assert factory.findings("YTM302", select="YTM") == []  # reported once


def test_candidate_found_by_the_old_draft_name_without_episode_id(factory: Factory) -> None:
    factory.episode("CH13-021", HOT, run_id="CH13-021__r1")
    factory.run("CH13-021__r1", factory.root / "old_drafts" / "戦国武将")
    moved = factory.draft("戦国武将")  # same folder name, now under the draft root
    (f,) = factory.findings("YTM402")
    assert f["details"]["candidates"] == [str(moved)]


def test_link_disagreeing_with_the_info_file_is_402(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    linked = factory.draft("CH01-003_a")
    named = factory.draft("CH01-003_b")
    factory.run("CH01-003__r1", linked, info=named)
    (f,) = factory.findings("YTM402")
    d = f["details"]
    assert d["reason"] == "disagrees with capcut_draft_info.json"
    assert d["resolved"] == os.path.realpath(linked)
    assert d["info_draft_path"] == str(named)
    assert d["candidates"] == sorted([str(linked), str(named)])
    assert d["unfixable"] == "2 candidates: choose one with --draft-dir"
    assert factory.findings("YTM401") == []


def test_missing_link_while_info_names_a_local_draft_is_402(factory: Factory) -> None:
    factory.episode("CH01-003", FREEZE, run_id="CH01-003__r1")
    draft = factory.draft("CH01-003_a")
    factory.run("CH01-003__r1", info=draft)
    (f,) = factory.findings("YTM402")
    assert f["severity"] == "violation"  # YTM402 has no Freeze switch
    assert f["details"]["reason"] == "link missing"
    assert f["details"]["link_target"] is None
    assert f["details"]["candidates"] == [str(draft)]


def test_adopted_run_without_video_run_id_is_the_newest_named_run(factory: Factory) -> None:
    factory.episode("CH01-004")
    factory.run("CH01-004__20260106", factory.draft("CH01-004_a"))
    newest = factory.run("CH01-004__20260108", factory.drafts / "CH01-004_gone")
    os.utime(newest, ns=(2_000_000_000 * 10**9, 2_000_000_000 * 10**9))
    (f,) = factory.findings("YTM402")
    assert f["details"]["run_id"] == "CH01-004__20260108"


def test_unreadable_info_file_is_reported_in_details_not_a_crash(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    run_dir = factory.run("CH01-003__r1", factory.drafts / "CH01-003_gone")
    (run_dir / "capcut_draft_info.json").write_bytes(b"{\xff not json")
    factory.draft("CH01-003_new")
    (f,) = factory.findings("YTM402")
    assert f["details"]["info_error"] == "capcut_draft_info.json: not UTF-8"
    assert f["details"]["info_draft_path"] is None


# --- YTM403 hot-input-on-share -------------------------------------------------------------------


def test_input_link_into_the_asset_vault_is_403_warning(factory: Factory) -> None:
    target = factory.share / "asset_vault" / "bgm"
    factory.link("video/input/CH02/CH02-012/bgm", target)
    (f,) = factory.findings("YTM403")
    assert f["severity"] == "warning"
    assert (f["root"], f["path"]) == ("workspace", "video/input/CH02/CH02-012/bgm")
    assert (f["channel"], f["video"]) == ("CH02", "012")
    d = f["details"]
    assert d["share_relative"] == "asset_vault/bgm"
    assert d["target"] == os.path.relpath(target, factory.ws / "video/input/CH02/CH02-012")
    assert d["dangling"] is False
    assert d["share_status"] == "online"


def test_dangling_input_link_into_the_share_is_a_violation(factory: Factory) -> None:
    factory.link("video/input/CH02/CH02-013_images", factory.share / "ytm_workspaces" / "gone")
    (f,) = factory.findings("YTM403")
    assert f["severity"] == "violation"
    assert f["details"]["dangling"] is True
    assert (f["channel"], f["video"]) == ("CH02", "013")


def test_input_link_is_a_violation_while_the_share_is_a_stub(factory: Factory) -> None:
    (factory.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    factory.link("video/input/CH05", factory.share / "asset_vault", relative=False)
    (f,) = factory.findings("YTM403")
    assert f["severity"] == "violation"
    assert f["details"]["dangling"] is False
    assert f["details"]["share_status"] == "stub"
    assert (f["channel"], f["video"]) == ("CH05", None)


def test_input_link_through_a_host_alias_is_403(factory: Factory) -> None:
    alias = "/srv/workspace/doraemon/workspace/lenovo_share"
    factory.world.configure(shared_storage={"host_aliases": [alias]})
    factory.link(
        "video/input/CH01/CH01-003", f"{alias}/ytm_workspaces/video/input/CH01/x", relative=False
    )
    (f,) = factory.findings("YTM403")
    assert f["details"]["share_relative"] == "ytm_workspaces/video/input/CH01/x"
    assert f["severity"] == "violation"  # it dangles on this host


def test_input_links_that_do_not_depend_on_the_share_are_not_403(factory: Factory) -> None:
    common = factory.ws / "video" / "input" / "CH13" / "_common" / "theme.mp3"
    common.parent.mkdir(parents=True)
    common.write_bytes(b"ID3")
    factory.link("video/input/CH13/CH13-022/bgm.mp3", common)  # relative, resolves locally
    local = factory.root / "local_assets"
    local.mkdir()
    factory.link("video/input/CH13/CH13-023", local, relative=False)
    # A fallback's renamed-aside link (YTM303's), and a share link outside video/input.
    factory.link("video/input/CH02/CH02-012.symlink_shared_backup_20260126", factory.share)
    factory.link("thumbnails/assets/CH02/shared", factory.share / "asset_vault")
    assert factory.findings("YTM403") == []


def test_input_link_with_a_non_utf8_name_is_reported_escaped(factory: Factory) -> None:
    name = os.fsdecode(b"bgm_\xff")
    factory.link(f"video/input/CH02/{name}", factory.share / "asset_vault" / "bgm")
    (f,) = factory.findings("YTM403")
    assert f["path"] == "video/input/CH02/bgm_\\xff"
    assert "abs_path_b64" in f
    assert (f["channel"], f["video"]) == ("CH02", None)


# --- YTM404 video-run-missing --------------------------------------------------------------------


def test_hot_episode_without_any_run_is_404(factory: Factory) -> None:
    factory.episode("CH02-014", "未着手")
    (f,) = factory.findings("YTM404")
    assert f["severity"] == "warning"
    assert (f["root"], f["path"], f["episode"]) == ("workspace", "video/runs", "CH02-014")
    assert f["abs_path"] == str(factory.ws / "video" / "runs")
    assert f["details"]["stage"] == "hot"
    assert f["details"]["planning_status"] == "未着手"
    assert f["fix"] is None


def test_episodes_that_are_not_404(factory: Factory) -> None:
    factory.episode("CH01-004", FREEZE)  # Freeze: not being worked on
    factory.episode("CH01-002", PUBLISHED)  # Published: its runs may be archived
    factory.episode("CH01-003")  # Hot with a run named after it, no video_run_id
    factory.run("CH01-003__20260122")
    factory.episode("CH01-005", run_id="CH01-005__gone")  # YTM405's, not YTM404's
    assert rules(factory.findings()) == ["YTM405"]


# --- YTM405 adopted-run-missing ------------------------------------------------------------------


def archive_run(factory: Factory, stamp: str, run_id: str, report: bool = True) -> str:
    rel = f"video/_archive/{stamp}/video/runs/{run_id}"
    (factory.ws / rel / "remotion").mkdir(parents=True)
    if report:
        moved = [{"run_id": run_id, "src": f"video/runs/{run_id}", "dest": rel}]
        factory.write_json(
            factory.ws / "video" / "_archive" / stamp / "archive_report.json", {"moved": moved}
        )
    return rel


def test_adopted_run_in_the_archive_is_405_and_restorable(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    rel = archive_run(factory, "20260125T021000Z", "CH01-003__r1")
    found = factory.findings()
    assert rules(found) == ["YTM405"]  # not also YTM404, and no draft rule for a missing run
    (f,) = found
    assert f["severity"] == "violation"
    assert (f["root"], f["path"], f["episode"]) == (
        "workspace",
        "video/runs/CH01-003__r1",
        "CH01-003",
    )
    d = f["details"]
    assert d["run_id"] == "CH01-003__r1"
    assert d["archived_copies"] == [rel]
    assert d["archive_report"] == ["video/_archive/20260125T021000Z/archive_report.json"]
    assert d["vault_copy"] is None
    assert "unfixable" not in d
    assert rel in f["message"]


def test_published_episode_run_missing_is_info(factory: Factory) -> None:
    factory.episode("CH02-010", PUBLISHED, run_id="CH02-010__r1")
    archive_run(factory, "20251201T000000Z", "CH02-010__r1")
    (f,) = factory.findings("YTM405")
    assert f["severity"] == "info"


def test_no_archived_copy_is_unfixable_and_vault_copy_is_named(factory: Factory) -> None:
    factory.episode("CH01-003", FREEZE, run_id="CH01-003__r1")
    (factory.share / "ytm_workspaces" / "video" / "runs" / "CH01-003__r1").mkdir(parents=True)
    (f,) = factory.findings("YTM405")
    assert f["severity"] == "violation"
    assert f["details"]["archived_copies"] == []
    assert f["details"]["unfixable"] == "no archived copy under video/_archive/"
    assert f["details"]["vault_copy"] == "video/runs/CH01-003__r1"


def test_two_archived_copies_are_unfixable(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    archive_run(factory, "20260101T000000Z", "CH01-003__r1", report=False)
    archive_run(factory, "20260102T000000Z", "CH01-003__r1")
    (f,) = factory.findings("YTM405")
    assert len(f["details"]["archived_copies"]) == 2
    assert f["details"]["unfixable"] == "2 archived copies: choose one"


def test_copy_behind_a_linked_archive_dir_is_found_through_the_report(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    elsewhere = factory.root / "old_archive" / "20260101T000000Z"
    (elsewhere / "video" / "runs" / "CH01-003__r1").mkdir(parents=True)
    rel = "video/_archive/20260101T000000Z/video/runs/CH01-003__r1"
    factory.write_json(elsewhere / "archive_report.json", [{"src": "x", "dest": rel}])
    factory.link("video/_archive/20260101T000000Z", elsewhere)  # the walk does not follow it
    (f,) = factory.findings("YTM405")
    assert f["details"]["archived_copies"] == [rel]
    assert "unfixable" not in f["details"]


def test_healthy_runs_and_bad_reports_give_no_405(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    factory.run("CH01-003__r1")
    factory.episode("CH01-001", PUBLISHED, publish_lock=True)  # archived, no video_run_id
    archive_run(factory, "20251203T000000Z", "CH01-001__r1")
    bad = factory.ws / "video" / "_archive" / "20260101T000000Z" / "archive_report.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{truncated")
    assert factory.findings() == []


def test_bad_report_does_not_hide_the_walked_copy(factory: Factory) -> None:
    factory.episode("CH01-003", run_id="CH01-003__r1")
    rel = archive_run(factory, "20260101T000000Z", "CH01-003__r1")
    (factory.ws / "video/_archive/20260101T000000Z/archive_report.json").write_text("[1, {")
    (f,) = factory.findings("YTM405")
    assert f["details"]["archived_copies"] == [rel]
    assert f["details"]["archive_report"] == []


# --- all together, through the command line -------------------------------------------------------


def test_json_report_carries_episode_and_details(factory: Factory, cli) -> None:
    factory.episode("CH02-014", "未着手")
    factory.episode("CH02-013", run_id="CH02-013__r1")
    factory.run("CH02-013__r1", factory.drafts / "CH02-013_old")
    factory.draft("CH02-013_new")
    result = cli("--json", "--no-save", "--select", "YTM4")
    assert result.code == 1, result.err  # YTM402 is a violation
    data = result.json()
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert set(by_rule) == {"YTM402", "YTM404"}
    assert by_rule["YTM402"]["episode"] == "CH02-013"
    assert by_rule["YTM402"]["name"] == "run-dir-symlink-broken"
    assert by_rule["YTM404"]["episode"] == "CH02-014"


@pytest.mark.parametrize("kind", ["empty", "directory", "huge"])
def test_an_unusable_planning_csv_is_said_and_its_episodes_are_not_called_hot(world, cli, kind):
    """An empty CSV, a directory named like one or a 40 MB one: one input error naming it, and
    its channel's episodes are not Hot by default (no false YTM401/YTM404 for them)."""
    csv = world.ws / "planning/channels/CH05.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    if kind == "empty":
        csv.write_bytes(b"")
    elif kind == "directory":
        csv.mkdir()
    else:
        csv.write_bytes(b"x" * (40 << 20))
    (world.ws / "scripts/CH05/001").mkdir(parents=True)
    (world.ws / "video/runs").mkdir(parents=True, exist_ok=True)
    result = cli("--select", "YTM401,YTM404", "--json", "--no-save")
    assert result.code in (0, 1, 5), result.err
    report = result.json()
    assert [f for f in report["findings"] if f.get("channel") == "CH05"] == []
    [error] = [e for e in report["errors"] if e.get("kind") == "input"]
    assert error["path"].endswith("CH05.csv")
    assert "planning CSV" in error["message"]


def test_an_unreadable_capcut_draft_info_is_a_finding_not_silence(tmp_path, cli):
    """A good local link beside an info file that is not JSON: YTM402 says so (the fixer
    rewrites the info file from the link), instead of taking it as saying nothing."""
    from ytm_doctor.demo import build_demo

    info = build_demo(tmp_path / "demo")
    run = tmp_path / "demo/workspaces/video/runs/CH01-004__20260108T120000Z"
    (run / "capcut_draft_info.json").write_text("{bad", encoding="utf-8")
    result = cli("--config", str(info.config), "--select", "YTM402", "--json", "--no-save")
    assert result.code in (0, 1), result.err
    [finding] = [f for f in result.json()["findings"] if f["episode"] == "CH01-004"]
    assert "capcut_draft_info.json" in finding["message"] and "JSON" in finding["message"]
