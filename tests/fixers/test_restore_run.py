"""restore-run (YTM405) from the command line: the adopted run status.json names is moved back
from video/_archive to video/runs (seed 003); dry-run, undo, stale and escaping plans, and the
cases it leaves to a person."""

from __future__ import annotations

import json
import os

import pytest

CODE = "YTM405"
RUN = "CH01-001__r1"
STAMP = "20260101T000000Z"
ARCHIVED = f"ws/video/_archive/{STAMP}/video/runs/{RUN}"
RESTORED = f"ws/video/runs/{RUN}"


def archive_run(factory, rel: str) -> None:
    """A run dir as the archive tool leaves it: outputs, a hidden file, a draft link."""
    factory.write(f"{rel}/remotion/output/final.mp4", b"\0\0\0 ftypmp42" * 20)
    factory.write(f"{rel}/.run_meta.json", '{"fps": 30}')
    factory.write(f"{rel}/capcut_draft_info.json", '{"draft_path": "/gone"}')
    factory.link(f"{rel}/capcut_draft", "/Users/me/Movies/CapCut/CH01-001")


@pytest.fixture
def archived(factory):
    factory.write(
        "share/ytm_workspaces/planning/channels/CH01.csv", "動画番号,進捗\n1,台本作成中\n"
    )
    factory.write_json("ws/scripts/CH01/001/status.json", {"metadata": {"video_run_id": RUN}})
    archive_run(factory, ARCHIVED)
    factory.write_json(
        f"ws/video/_archive/{STAMP}/archive_report.json",
        {"moved": [{"run_id": RUN, "src": f"video/runs/{RUN}", "dest": ARCHIVED[3:]}]},
    )
    return factory


def test_dry_run_changes_nothing(archived):
    plan = archived.dry_run(CODE)
    [fix] = plan["fixes"]
    [action] = fix["actions"]
    assert (action["op"], action["path"]["rel"], action["dest"]["rel"]) == (
        "rename",
        ARCHIVED[3:],
        RESTORED[3:],
    )


def test_run_moves_the_run_back_and_the_rescan_is_clean(archived):
    run_before = archived.subtree(ARCHIVED)
    [finding] = archived.scan(CODE)
    assert finding["details"]["archived_copies"] == [ARCHIVED[3:]]
    run = archived.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert archived.subtree(RESTORED) == run_before  # every file, hidden file and link
    assert not (archived.root / ARCHIVED).exists()
    assert archived.scan(CODE) == []


def test_undo_moves_it_back_into_the_archive(archived):
    before = archived.user_tree()
    run = archived.fix_run(CODE)
    archived.assert_undo_restores(run, before)
    assert not (archived.root / RESTORED).exists()


def test_two_archived_copies_are_unfixable(archived):
    archive_run(archived, f"ws/video/_archive/20260201T000000Z/video/runs/{RUN}")
    [finding] = archived.scan(CODE)
    reason = "2 archived copies: choose one"
    assert finding["details"]["unfixable"] == reason
    before = archived.tree()
    plan = archived.dry_run(CODE)
    assert plan["fixes"] == []
    assert [(u["where"], u["reason"]) for u in plan["unfixable"]] == [
        (f"workspace:{RESTORED[3:]}", reason)
    ]
    assert reason in archived.cli("fix", "--select", CODE).out
    assert archived.fix_run(CODE)["results"] == []
    assert archived.user_tree() == before


def test_no_archived_copy_is_unfixable(archived):
    os.rename(archived.root / ARCHIVED, archived.root / "outside" / RUN)
    plan = archived.dry_run(CODE)
    assert plan["fixes"] == []
    assert [u["reason"] for u in plan["unfixable"]] == ["no archived copy under video/_archive/"]


def test_stale_plan_is_refused_when_the_run_was_recreated(archived):
    def recreated():
        archived.write(f"{RESTORED}/remotion/output/final.mp4", b"a new render")

    archived.assert_stale_refused(CODE, recreated)
    assert (archived.root / ARCHIVED / ".run_meta.json").is_file()  # still archived
    assert (archived.root / RESTORED / "remotion/output/final.mp4").read_bytes() == b"a new render"


def test_stale_plan_is_refused_when_the_archived_copy_moved(archived):
    elsewhere = archived.root / f"ws/video/_archive/{STAMP}/video/runs/{RUN}.moved"
    archived.assert_stale_refused(CODE, lambda: os.rename(archived.root / ARCHIVED, elsewhere))
    assert (elsewhere / ".run_meta.json").is_file()
    assert not (archived.root / RESTORED).exists()


def test_plan_reaching_outside_the_roots_is_refused(archived):
    archived.assert_plan_escapes_refused(CODE)
    assert sorted(os.listdir(archived.outside)) == ["keep.txt"]
    assert (archived.root / ARCHIVED / ".run_meta.json").is_file()


def test_plan_moving_the_run_outside_the_roots_is_refused(archived):
    """The destination of the rename, not only its source, is confined."""
    plan = archived.save_plan(CODE)
    data = json.loads(plan.read_text())
    os.symlink(archived.outside, archived.ws / "video" / "escape")
    data["fixes"][0]["actions"][0]["dest"]["rel"] = f"video/escape/{RUN}"
    plan.write_text(json.dumps(data))
    before = archived.user_tree()
    result = archived.apply(plan)
    assert result.code == 1, result.out + result.err
    assert "leads outside the configured roots" in result.out
    assert archived.user_tree() == before
    assert sorted(os.listdir(archived.outside)) == ["keep.txt"]


def test_run_restores_when_video_runs_itself_is_gone(archived):
    """Everything archived, video/runs/ removed with it: the run still comes back."""
    os.rmdir(archived.ws / "video" / "runs")
    before = archived.user_tree()
    run = archived.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"], run["results"]
    assert (archived.root / RESTORED / ".run_meta.json").is_file()
    archived.assert_undo_restores(run, before)


def test_fix_without_a_selection_leaves_a_published_episodes_archived_run(archived):
    """For a Published episode the archived run is info (archiving it was the policy): a plain
    `fix --run` leaves it archived and says how to fix it by name; selecting it still works."""
    archived.write_json(
        "ws/scripts/CH01/001/status.json",
        {"publish_lock": True, "metadata": {"video_run_id": RUN}},
    )
    [finding] = archived.scan(CODE)
    assert finding["severity"] == "info"
    before = archived.user_tree()
    text = archived.cli("fix", "--run")
    assert text.code == 0, text.out + text.err
    assert f"info findings left as they are: {CODE} (1)" in text.out, text.out
    plan = archived.cli("fix", "--json").json()
    assert plan["info_unselected"] == {CODE: 1}
    assert archived.user_tree() == before
    run = archived.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert (archived.root / RESTORED).is_dir()
