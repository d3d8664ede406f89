"""`ytm-doctor archive runs`, YTM406 runs-archivable and its fixer archive-runs, from the command
line on real trees: every guard (recent, .keep, adopted, newest N), scopes and legacy names,
dry-runs that change nothing, --run then undo restoring the tree exactly, and YTM405 finding a
run archived in this layout."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from treehash import snapshot

DAY = 86400
EP = "CH01-001"
# CH01-001's runs carry their stamp in the name (which orders them for the newest-N guard);
# CH02-010's do not (their dirs' mtimes order them).
R = [f"{EP}__2025100{n + 1}T000000Z" for n in range(7)]
ADOPTED = R[3]
# run id -> days since it was last modified (all its files)
EPISODE_RUNS = {
    R[0]: 31,  # archivable
    R[1]: 30,  # archivable
    R[2]: 29,  # .keep
    ADOPTED: 28,  # adopted by status.json, older than the newest two
    R[4]: 27,  # recent: a file deep inside written now
    R[5]: 5,  # newest 2
    R[6]: 4,  # newest 2
    "CH02-010__a": 10,  # archivable
    "CH02-010__b": 9,  # newest 2
    "CH02-010__c": 8,  # newest 2, adopted as the newest (no video_run_id)
}
LEGACY = {
    "192": "numeric",
    "api_test": "api_*",
    "jinsei_old": "legacy name",
    "CH09-001__x": "no episode CH09-001",
    "CH01-777__y": "no episode CH01-777",
}
ARCHIVABLE = sorted([R[0], R[1], "CH02-010__a", *LEGACY])


def make_run(factory, run_id: str, days: float) -> Path:
    """A run as the pipeline leaves it (outputs, images, a hidden file, a draft link), every
    entry dated `days` ago."""
    rel = f"ws/video/runs/{run_id}"
    factory.write(f"{rel}/remotion/output/final.mp4", b"\0\0\0 ftypmp42" * 40)
    factory.write(f"{rel}/images/0001.png", b"\x89PNG" + run_id.encode())
    factory.write(f"{rel}/.run_meta.json", '{"fps": 30}')
    factory.link(f"{rel}/capcut_draft", f"/Users/me/Movies/CapCut/{run_id}")
    age(factory.root / rel, days)
    return factory.root / rel


def age(path: Path, days: float) -> None:
    when = time.time() - days * DAY
    for folder, dirs, files in os.walk(path, topdown=False):
        for name in dirs + files:
            os.utime(os.path.join(folder, name), (when, when), follow_symlinks=False)
        os.utime(folder, (when, when))


@pytest.fixture
def runs(factory):
    for channel, video in (("CH01", "1"), ("CH02", "10")):
        factory.write(
            f"share/ytm_workspaces/planning/channels/{channel}.csv",
            f"動画番号,進捗\n{video},台本作成中\n",
        )
    factory.write_json("ws/scripts/CH01/001/status.json", {"metadata": {"video_run_id": ADOPTED}})
    factory.write_json("ws/scripts/CH02/010/status.json", {"metadata": {}})
    for run_id, days in EPISODE_RUNS.items():
        make_run(factory, run_id, days)
    for run_id in LEGACY:
        make_run(factory, run_id, 40)
    factory.write(f"ws/video/runs/{R[2]}/.keep")
    age(factory.root / f"ws/video/runs/{R[2]}", 29)
    # Being regenerated now, deep inside: the run dir's own mtime stays old.
    factory.write(f"ws/video/runs/{R[4]}/images/0002.png", b"new")
    return factory


def archive(factory, *args: str, expect: int = 0):
    result = factory.cli("archive", "runs", *args)
    assert result.code == expect, result.out + result.err
    return result


def dry_report(factory, *args: str) -> dict:
    return archive(factory, *args, "--json").json()["report"]


def moved(report: dict) -> list[str]:
    return sorted(m["run_id"] for m in report["moved"])


def kept(report: dict) -> dict[str, list[str]]:
    return {k["kept_run"]: k["guards"] for k in report["kept"]}


# --- the command: dry-run, guards, scopes -------------------------------------------------------


def test_dry_run_names_each_guard_per_run_and_changes_nothing(runs):
    before = runs.tree()
    result = archive(runs, "--all")
    out = result.out
    assert f"  move  video/runs/{R[1]}  ({EP}, " in out
    assert "  move  video/runs/192  (tied to no episode: numeric, " in out
    for guard, run_id in (
        (".keep", R[2]),
        ("recent", R[4]),
        ("adopted", ADOPTED),
        ("newest 2", R[6]),
        ("adopted, newest 2", "CH02-010__c"),
    ):
        assert any(
            line.startswith(f"  kept: {guard} ") and f" video/runs/{run_id}  (" in line
            for line in out.splitlines()
        ), (guard, out)
    assert "dry-run: nothing was changed. Add --run to archive." in out
    # Only the dry run's own report was added, under the tool's logs.
    after = runs.tree()
    added = sorted(set(after) - set(before))
    assert [a for a in added if not a.startswith("ws/logs/ops/ytm_doctor")] == []
    assert {k: v for k, v in after.items() if k not in added} == before
    [saved] = (runs.report_dir / "runs_archive").iterdir()
    assert saved.name.startswith("video_runs_cleanup_dryrun_")
    data = json.loads(saved.read_text())
    assert data["dry_run"] is True and moved(data) == ARCHIVABLE


def test_the_guards_keep_what_they_should(runs):
    report = dry_report(runs, "--all")
    assert moved(report) == ARCHIVABLE
    assert kept(report) == {
        R[2]: [".keep"],
        ADOPTED: ["adopted"],
        R[4]: ["recent"],
        R[5]: ["newest"],
        R[6]: ["newest"],
        "CH02-010__b": ["newest"],
        "CH02-010__c": ["adopted", "newest"],
    }
    assert report["guards"] == {"keep_recent_minutes": 1440, "keep_last_runs": 2}


def test_the_guards_options_and_policy_keys(runs):
    # Without the recent guard the run being regenerated may go; .keep and adoption still hold.
    report = dry_report(runs, "--all", "--keep-recent-minutes", "0", "--keep-last-runs", "0")
    assert kept(report) == {
        R[2]: [".keep"],
        ADOPTED: ["adopted"],
        "CH02-010__c": ["adopted"],
    }
    # The same from the config file (archive.*), which the flags override.
    runs.world.configure(archive={"keep_recent_minutes": 0, "keep_last_runs": 1})
    report = dry_report(runs, "--all")
    assert report["guards"] == {"keep_recent_minutes": 0, "keep_last_runs": 1}
    assert R[4] in moved(report) and R[5] in moved(report)
    assert R[6] not in moved(report)
    report = dry_report(runs, "--all", "--keep-last-runs", "2")
    assert R[5] not in moved(report)
    shown = {s["key"]: s for s in runs.cli("config", "--json").json()["settings"]}
    assert (
        shown["archive.keep_last_runs"]["value"],
        shown["archive.keep_last_runs"]["source"],
    ) == (
        1,
        "file",
    )


def test_recent_by_the_run_dirs_own_mtime(runs):
    os.utime(runs.ws / "video" / "runs" / R[1])  # now
    report = dry_report(runs, "--all")
    assert kept(report)[R[1]] == ["recent"]
    assert R[1] not in moved(report)


def test_a_recent_keep_file_keeps_it_twice_over(runs):
    runs.write(f"ws/video/runs/{R[0]}/.keep")
    report = dry_report(runs, "--all")
    assert kept(report)[R[0]] == [".keep", "recent"]
    # Marking an old run does not make it "newest": the newest two are still kept as such.
    assert kept(report)[R[5]] == kept(report)[R[6]] == ["newest"]


def test_scopes_and_legacy_names(runs):
    assert moved(dry_report(runs, "--all", "--unscoped-only")) == sorted(LEGACY)
    report = dry_report(runs, "--all", "--unscoped-only")
    assert {m["run_id"]: m["unscoped"] for m in report["moved"]} == LEGACY
    assert moved(dry_report(runs, "--channel", "CH01")) == [R[0], R[1], "CH01-777__y"]
    assert moved(dry_report(runs, "--channel", "ch01", "--video", "1")) == [
        R[0],
        R[1],
    ]
    assert moved(dry_report(runs, "--channel", "CH01", "--unscoped-only")) == ["CH01-777__y"]
    assert moved(dry_report(runs, "--channel", "CH02")) == ["CH02-010__a"]


def test_a_legacy_run_an_episode_adopts_belongs_to_it(runs):
    runs.write_json("ws/scripts/CH02/010/status.json", {"metadata": {"video_run_id": "192"}})
    report = dry_report(runs, "--all", "--unscoped-only")
    assert "192" not in moved(report)
    report = dry_report(runs, "--channel", "CH02")
    # 192 is the oldest of CH02-010's runs now: kept as adopted, b and c as the newest two.
    assert kept(report)["192"] == ["adopted"]
    assert kept(report)["CH02-010__c"] == ["newest"]
    assert moved(report) == ["CH02-010__a"]


def test_a_run_linked_into_video_runs_is_left(runs):
    runs.write("ws/elsewhere/linked/final.mp4", b"old")
    age(runs.ws / "elsewhere", 50)
    os.symlink("../../elsewhere/linked", runs.ws / "video" / "runs" / "linked")
    report = dry_report(runs, "--all")
    assert kept(report)["linked"] == ["link"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "archive runs needs a scope: --channel CH [--video NNN], or --all for every run"),
        (("--all", "--channel", "CH01"), "archive runs: --all and --channel exclude each other"),
        (("--video", "1", "--all"), "--video needs --channel"),
        (("--channel", "XX1"), "--channel XX1: expected CH followed by two digits"),
        (
            ("--all", "--keep-last-runs", "-1"),
            "--keep-last-runs: archive.keep_last_runs must not be negative, got -1",
        ),
        (("--all", "--keep-recent-minutes", "x"), None),
    ],
)
def test_usage_errors_are_one_line_and_exit_4(runs, args, message):
    before = runs.tree()
    result = runs.cli("archive", "runs", *args)
    assert result.code == 4, result.out + result.err
    assert len(result.err_lines) == 1 and result.out == ""
    if message:
        assert result.err_lines == [f"ytm-doctor: error: {message}"]
    assert runs.tree() == before


def test_archive_without_runs_is_a_usage_error(runs):
    for argv in (("archive",), ("archive", "drafts", "--all")):
        result = runs.cli(*argv)
        assert result.code == 4 and len(result.err_lines) == 1, result.err


def test_nothing_to_archive(factory):
    make_run(factory, "api_new", 0)
    result = archive(factory, "--all", "--run")
    assert "nothing to archive." in result.out
    assert not (factory.ws / "video" / "_archive").exists()


# --- the command: --run, the report, undo -------------------------------------------------------


def test_run_moves_the_runs_writes_the_report_and_undo_restores_the_tree(runs):
    before = runs.user_tree()
    run_trees = {r: runs.subtree(f"ws/video/runs/{r}") for r in ARCHIVABLE}
    result = archive(runs, "--all", "--run", "--json").json()
    assert [r["status"] for r in result["results"]] == ["applied"]
    report_rel = result["archive_report"]
    stamp = report_rel.split("/")[2]
    assert report_rel == f"video/_archive/{stamp}/archive_report.json"
    for run_id, tree in run_trees.items():
        assert not (runs.ws / "video" / "runs" / run_id).exists()
        assert runs.subtree(f"ws/video/_archive/{stamp}/runs/{run_id}") == tree
    report = json.loads((runs.ws / report_rel).read_text())
    assert report["schema"] == "ytm.video_runs_archive_report.v1"
    assert {(m["run_id"], m["src"], m["dest"]) for m in report["moved"]} == {
        (r, f"video/runs/{r}", f"video/_archive/{stamp}/runs/{r}") for r in ARCHIVABLE
    }
    assert moved(report) == ARCHIVABLE and R[2] in kept(report)
    # Every guarded run is where it was.
    for run_id in set(EPISODE_RUNS) - set(ARCHIVABLE):
        assert (runs.ws / "video" / "runs" / run_id).is_dir()
    runs.assert_undo_restores(result, before)
    assert not (runs.ws / "video" / "_archive").exists()


def test_the_text_run_names_the_report_and_the_undo(runs):
    result = archive(runs, "--channel", "CH02", "--run")
    assert "[1] applied  archive-runs" in result.out
    assert "archive report: video/_archive/" in result.out
    assert "undo:    ytm-doctor undo " in result.out
    audit = (runs.report_dir / "audit.jsonl").read_text().splitlines()
    assert json.loads(audit[-1])["command"] == "archive runs"


def test_two_archives_in_one_second_never_share_a_folder(runs, monkeypatch):
    from ytm_doctor.runs import command

    monkeypatch.setattr(command, "file_stamp", lambda moment: "20260101T000000Z")
    archive(runs, "--channel", "CH02", "--run")
    archive(runs, "--channel", "CH01", "--run")
    assert sorted(os.listdir(runs.ws / "video" / "_archive")) == [
        "20260101T000000Z",
        "20260101T000000Z-2",
    ]


def test_a_run_modified_between_plan_and_run_is_not_moved_by_a_stale_plan(runs):
    """archive-runs through `fix --plan-out` and `apply`: a run that changed since is refused."""

    def changed():
        os.rename(runs.ws / "video" / "runs" / "192", runs.ws / "video" / "runs" / "193")

    runs.assert_stale_refused("YTM406", changed)
    assert (runs.ws / "video" / "runs" / "193").is_dir()


def test_ytm405_finds_a_run_archived_in_this_layout_and_restore_run_brings_it_back(runs):
    result = archive(runs, "--channel", "CH02", "--run", "--json").json()
    stamp = result["archive_report"].split("/")[2]
    # The episode now names the archived run (a person picked the older render).
    runs.write_json(
        "ws/scripts/CH02/010/status.json", {"metadata": {"video_run_id": "CH02-010__a"}}
    )
    [finding] = runs.scan("YTM405")
    assert finding["details"]["archived_copies"] == [f"video/_archive/{stamp}/runs/CH02-010__a"]
    assert finding["details"]["archive_report"] == [result["archive_report"]]
    run = runs.fix_run("YTM405")
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert (runs.ws / "video" / "runs" / "CH02-010__a" / ".run_meta.json").is_file()


def test_exit_codes_are_never_3(runs):
    for argv in (
        ("archive", "runs", "--all"),
        ("archive", "runs", "--all", "--run"),
        ("archive", "runs", "--all", "--run"),  # nothing left to move
        ("archive", "runs", "--bogus"),
        ("archive", "--help"),
    ):
        assert runs.cli(*argv).code in (0, 1, 4), argv


# --- YTM406 runs-archivable and the archive-runs fixer ------------------------------------------


def test_ytm406_says_how_many_runs_and_how_much_could_be_archived(runs):
    [finding] = runs.scan("YTM406")
    assert finding["severity"] == "info"
    assert (finding["root"], finding["path"]) == ("workspace", "video/runs")
    details = finding["details"]
    assert sorted(details["run_ids"]) == ARCHIVABLE
    # Sizes take a stat of every file: measured only while the disk is low (next test).
    assert details["size_bytes"] is None
    assert details["kept"] == {"adopted": 2, "newest": 4, ".keep": 1, "recent": 1}
    assert finding["message"].startswith(f"{len(ARCHIVABLE)} runs could be archived")
    assert "(5 tied to no episode); 7 kept (" in finding["message"]


def test_ytm406_is_a_warning_while_the_workspace_disk_is_low(runs):
    runs.world.configure(disk={"warn_free_gib": 10**9})
    [finding] = runs.scan("YTM406")
    assert finding["severity"] == "warning"
    assert finding["details"]["warn_free_gib"] == 10**9
    assert "below disk.warn_free_gib (1e+09)" in finding["message"]
    report = dry_report(runs, "--all")
    size = finding["details"]["size_bytes"]
    assert size == sum(m["size_bytes"] for m in report["moved"]) > 0
    assert finding["message"].startswith(f"{len(ARCHIVABLE)} runs (")


def test_ytm406_follows_the_scans_scope(runs):
    result = runs.cli("--select", "YTM406", "--json", "--no-save", "--channel", "CH02")
    [finding] = result.json()["findings"]
    assert finding["details"]["run_ids"] == ["CH02-010__a"]
    assert finding["details"]["channel"] == "CH02"


def test_ytm406_is_silent_when_the_guards_keep_everything(factory):
    factory.write(
        "share/ytm_workspaces/planning/channels/CH01.csv", "動画番号,進捗\n1,台本作成中\n"
    )
    make_run(factory, f"{EP}__a", 30)
    make_run(factory, f"{EP}__b", 20)
    make_run(factory, "api_now", 0)
    assert factory.scan("YTM406") == []


def test_fix_plans_the_same_archive_and_undo_restores_it(runs):
    plan = runs.dry_run("YTM406")
    [fix] = plan["fixes"]
    renames = sorted(a["path"]["rel"] for a in fix["actions"] if a["op"] == "rename")
    assert renames == sorted(f"video/runs/{r}" for r in ARCHIVABLE)
    assert fix["actions"][-1]["op"] == "write"
    assert fix["actions"][-1]["path"]["rel"].endswith("/archive_report.json")
    before = runs.user_tree()
    run = runs.fix_run("YTM406")
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert runs.scan("YTM406") == []
    runs.assert_undo_restores(run, before)


def test_the_fixer_asks_the_guards_again(runs):
    """A run marked .keep after the scan stays: the fixer moves only what the guards let go now."""
    [finding] = runs.scan("YTM406")
    runs.write("ws/video/runs/192/.keep")
    age(runs.ws / "video" / "runs" / "192", 40)
    run = runs.fix_run("YTM406", "--fingerprint", finding["fingerprint"])
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert (runs.ws / "video" / "runs" / "192").is_dir()
    assert not (runs.ws / "video" / "runs" / "api_test").exists()


def test_a_bare_fix_leaves_the_info_finding_alone(runs):
    """Info unless the disk is low: a plain `fix` leaves it, `--select YTM406` archives."""
    before = snapshot(runs.ws / "video")
    result = runs.cli("fix", "--json")
    assert result.code == 0, result.out + result.err
    assert result.json()["info_unselected"]["YTM406"] == 1
    assert snapshot(runs.ws / "video") == before
