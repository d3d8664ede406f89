"""`ytm-doctor restore runs --report FILE [--only-run-id RUN]` from the command line: archived
runs back where the report says they came from, a refusal (one line, nothing changed for that
run) where something stands there now, the reports written and marked, undo, and bad reports
as one line and exit 4."""

from __future__ import annotations

import json
import os

import pytest
from test_archive_runs import make_run

RUNS = ["192", "CH09-001__x", "api_test"]


@pytest.fixture
def archived(factory):
    """Three legacy runs archived by `archive runs --all --run`; the report's path relative to
    the tmp root, and each run's tree as it was."""
    for run_id in RUNS:
        make_run(factory, run_id, 40)
    factory.trees = {r: factory.subtree(f"ws/video/runs/{r}") for r in RUNS}
    result = factory.cli("archive", "runs", "--all", "--run", "--json")
    assert result.code == 0, result.out + result.err
    factory.report = f"ws/{result.json()['archive_report']}"
    factory.archive_dir = factory.report.rpartition("/")[0]
    for run_id in RUNS:
        assert not (factory.ws / "video" / "runs" / run_id).exists()
    return factory


def restore(factory, *args: str, expect: int = 0):
    result = factory.cli("restore", "runs", "--report", factory.report, *args)
    assert result.code == expect, result.out + result.err
    return result


def report_data(factory) -> dict:
    return json.loads((factory.root / factory.report).read_text())


def test_dry_run_lists_the_runs_and_changes_nothing(archived):
    before = archived.user_tree()
    result = restore(archived)
    for run_id in RUNS:
        line = f"  restore   {archived.archive_dir[3:]}/runs/{run_id} -> video/runs/{run_id}"
        assert line in result.out, result.out
    assert "dry-run: nothing was changed. Add --run to restore." in result.out
    assert archived.user_tree() == before
    [saved] = (archived.report_dir / "runs_archive").glob("restore_video_runs_dryrun_*.json")
    assert [r["run_id"] for r in json.loads(saved.read_text())["restored"]] == RUNS


def test_run_restores_every_run_marks_the_report_and_undo_puts_it_all_back(archived):
    before = archived.user_tree()
    original_report = (archived.root / archived.report).read_bytes()
    result = restore(archived, "--run", "--json").json()
    assert [r["status"] for r in result["results"]] == ["applied"]
    for run_id in RUNS:
        assert archived.subtree(f"ws/video/runs/{run_id}") == archived.trees[run_id]
        assert not (archived.root / archived.archive_dir / "runs" / run_id).exists()
    restore_rel = result["restore_report"]
    assert restore_rel.startswith(archived.archive_dir[3:] + "/restore_report_")
    written = json.loads((archived.ws / restore_rel).read_text())
    assert [(r["run_id"], r["to"]) for r in written["restored"]] == [
        (r, f"video/runs/{r}") for r in RUNS
    ]
    assert written["refused"] == []
    marked = report_data(archived)["moved"]
    assert all(m["restore_report"] == restore_rel.rpartition("/")[2] for m in marked)
    assert all(m["restored_at"] for m in marked)
    archived.assert_undo_restores(result, before)
    assert (archived.root / archived.report).read_bytes() == original_report
    assert not (archived.ws / restore_rel).exists()


def test_only_run_id_restores_just_that_run(archived):
    result = restore(archived, "--only-run-id", "192", "--run")
    assert "[1] applied  restore-runs" in result.out
    assert (archived.ws / "video" / "runs" / "192").is_dir()
    for run_id in ("CH09-001__x", "api_test"):
        assert (archived.root / archived.archive_dir / "runs" / run_id).is_dir()
    marked = {m["run_id"]: m for m in report_data(archived)["moved"]}
    assert "restored_at" in marked["192"] and "restored_at" not in marked["api_test"]
    # Again: it is back already; nothing to do, nothing refused.
    again = restore(archived, "--only-run-id", "192", "--run")
    assert "  in place  192: already restored" in again.out
    assert "nothing to restore." in again.out


def test_a_taken_place_is_refused_for_that_run_only(archived):
    archived.write("ws/video/runs/api_test/new_render.mp4", b"someone's new work")
    taken = archived.subtree("ws/video/runs/api_test")
    result = restore(archived, "--run", expect=1)
    refusals = [line for line in result.out.splitlines() if line.startswith("  refused")]
    assert refusals == [
        "  refused   api_test: video/runs/api_test exists now; nothing changed for this run"
    ]
    assert archived.subtree("ws/video/runs/api_test") == taken
    assert (archived.root / archived.archive_dir / "runs" / "api_test").is_dir()
    for run_id in ("192", "CH09-001__x"):
        assert archived.subtree(f"ws/video/runs/{run_id}") == archived.trees[run_id]
    written = json.loads(
        next((archived.root / archived.archive_dir).glob("restore_report_*.json")).read_text()
    )
    assert [r["run_id"] for r in written["refused"]] == ["api_test"]
    assert "restored_at" not in {m["run_id"]: m for m in report_data(archived)["moved"]}["api_test"]


def test_everything_refused_changes_nothing_and_exits_1(archived):
    for run_id in RUNS:
        archived.write(f"ws/video/runs/{run_id}/x", b"new")
    before = archived.user_tree()
    result = restore(archived, "--run", expect=1)
    assert "nothing to restore." in result.out
    assert archived.user_tree() == before


def test_an_archived_copy_gone_is_refused(archived):
    os.rename(archived.root / archived.archive_dir / "runs" / "192", archived.outside / "192")
    result = restore(archived, "--only-run-id", "192", expect=1)
    assert f"  refused   192: its archived copy {archived.archive_dir[3:]}/runs/192 is gone" in (
        result.out
    )


def test_a_report_of_the_older_tool_with_absolute_paths(factory):
    """The older cleanup tool's layout (…/<stamp>/video/runs/<run_id>) and absolute paths."""
    stamp = "20260105T031500Z"
    archived = factory.ws / "video" / "_archive" / stamp / "video" / "runs" / "CH01-001__r1"
    make_run(factory, "CH01-001__r1", 40)
    archived.parent.mkdir(parents=True)
    os.rename(factory.ws / "video" / "runs" / "CH01-001__r1", archived)
    report = factory.ws / "video" / "_archive" / stamp / "archive_report.json"
    factory.write_json(
        str(report.relative_to(factory.root)),
        {
            "moved": [
                {
                    "src": str(factory.ws / "video" / "runs" / "CH01-001__r1"),
                    "dest": str(archived),
                }
            ]
        },
    )
    result = factory.cli("restore", "runs", "--report", str(report), "--run")
    assert result.code == 0, result.out + result.err
    assert (factory.ws / "video" / "runs" / "CH01-001__r1" / ".run_meta.json").is_file()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "invalid JSON"),
        (json.dumps({"schema": "ytm-doctor.report.v1", "findings": []}), "not a video runs"),
        (json.dumps([1, 2]), "not a video runs archive report"),
        (json.dumps({"moved": "everything"}), "not a video runs archive report"),
    ],
)
def test_a_bad_missing_or_foreign_report_is_one_line_and_exit_4(archived, content, message):
    bad = archived.root / archived.archive_dir / "other.json"
    if content is not None:
        bad.write_text(content)
    before = archived.tree()
    result = archived.cli("restore", "runs", "--report", str(bad), "--run")
    assert result.code == 4, result.out + result.err
    assert len(result.err_lines) == 1 and message in result.err, result.err
    assert archived.tree() == before


def test_a_report_outside_this_workspace_or_an_unknown_run_is_exit_4(archived):
    outside = archived.root / "outside" / "archive_report.json"
    outside.write_bytes((archived.root / archived.report).read_bytes())
    before = archived.tree()
    for args in (
        ("--report", str(outside)),
        ("--report", archived.report, "--only-run-id", "nope"),
        (),
    ):
        result = archived.cli("restore", "runs", *args, "--run")
        assert result.code == 4 and len(result.err_lines) == 1, result.err
    assert (
        "not an archive report of this workspace"
        in archived.cli("restore", "runs", "--report", str(outside)).err
    )
    assert archived.tree() == before


def test_entries_reaching_outside_video_runs_are_refused(archived):
    data = report_data(archived)
    data["moved"][0]["src"] = "scripts/CH01/001"
    data["moved"][1]["dest"] = "../../outside"
    (archived.root / archived.report).write_text(json.dumps(data))
    result = restore(archived, expect=1)
    refused = [line for line in result.out.splitlines() if line.startswith("  refused")]
    assert len(refused) == 2, result.out
    assert "is not in video/runs/" in refused[0] and "is not in video/_archive/" in refused[1]
