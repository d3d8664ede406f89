"""reseed-planning-cache (YTM602) from the command line: each Hot planning/ cache file that
differs from (or is missing next to) the planning SoT is refreshed from it; the SoT is never
written, the old cache bytes are backed up first (seed 002 Step B); dry-run, undo, stale and
escaping plans."""

from __future__ import annotations

import os

import pytest

CODE = "YTM602"
SOT = "share/ytm_workspaces/planning"
CACHE = "ws/planning"
SOT_CH01 = "動画番号,進捗\n1,投稿済み\n2,台本作成中\n".encode()
OLD_CH01 = "動画番号,進捗\n1,台本作成中\n".encode()


@pytest.fixture
def drifted(factory):
    """CH01.csv differs (the SoT says 投稿済み), CH02.csv and templates/notes.md are missing from
    the cache (templates/ too); a cache-only file is not the SoT's business."""
    f = factory
    f.write(f"{SOT}/channels/CH01.csv", SOT_CH01)
    f.write(f"{SOT}/channels/CH02.csv", "video,status\n1,published\n")
    f.write(f"{SOT}/templates/notes.md", "# notes\n")
    f.write(f"{CACHE}/channels/CH01.csv", OLD_CH01)
    f.write(f"{CACHE}/channels/CH99_local_draft.csv", "mine")
    return f


def test_dry_run_changes_nothing(drifted):
    plan = drifted.dry_run(CODE)
    ops = {f["title"]: [(a["op"], a["path"]["rel"]) for a in f["actions"]] for f in plan["fixes"]}
    assert ops == {
        "workspace:planning/channels/CH01.csv from the SoT": [
            ("replace", "planning/channels/CH01.csv")
        ],
        "workspace:planning/channels/CH02.csv from the SoT": [
            ("write", "planning/channels/CH02.csv")
        ],
        "workspace:planning/templates/notes.md from the SoT": [
            ("mkdir", "planning/templates"),
            ("write", "planning/templates/notes.md"),
        ],
    }


def test_run_copies_the_sot_bytes_and_never_touches_the_sot(drifted):
    sot_before = drifted.subtree(SOT)
    reasons = {f["path"]: f["details"]["reason"] for f in drifted.scan(CODE)}
    assert reasons == {
        "planning/channels/CH01.csv": "differs",
        "planning/channels/CH02.csv": "missing from cache",
        "planning/templates/notes.md": "missing from cache",
    }
    run = drifted.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"] * 3
    for rel in ("channels/CH01.csv", "channels/CH02.csv", "templates/notes.md"):
        cache = (drifted.root / CACHE / rel).read_bytes()
        assert cache == (drifted.root / SOT / rel).read_bytes(), rel
    assert drifted.subtree(SOT) == sot_before
    assert (drifted.root / CACHE / "channels/CH99_local_draft.csv").read_text() == "mine"
    # The old cache bytes are kept in the run's backups, under the tool's log dir.
    backup = drifted.report_dir / "backups" / run["run_id"] / "workspace/planning/channels/CH01.csv"
    assert backup.read_bytes() == OLD_CH01
    assert drifted.scan(CODE) == []


def test_undo_restores_the_old_cache(drifted):
    before = drifted.user_tree()
    run = drifted.fix_run(CODE)
    drifted.assert_undo_restores(run, before)
    assert (drifted.root / CACHE / "channels/CH01.csv").read_bytes() == OLD_CH01
    assert not (drifted.root / CACHE / "templates").exists()


def test_stale_plan_is_refused_when_the_cache_was_edited(drifted):
    only = drifted.only(CODE, "planning/channels/CH01.csv")
    edit = "動画番号,進捗\n1,編集中\n".encode()
    drifted.assert_stale_refused(
        CODE, lambda: drifted.write(f"{CACHE}/channels/CH01.csv", edit), *only
    )
    assert (drifted.root / CACHE / "channels/CH01.csv").read_bytes() == edit


def test_stale_plan_is_refused_when_the_missing_file_appeared(drifted):
    only = drifted.only(CODE, "planning/channels/CH02.csv")
    drifted.assert_stale_refused(
        CODE, lambda: drifted.write(f"{CACHE}/channels/CH02.csv", "by hand"), *only
    )
    assert (drifted.root / CACHE / "channels/CH02.csv").read_text() == "by hand"


def test_stale_plan_is_refused_when_the_sot_changed(drifted):
    newer = "動画番号,進捗\n1,投稿済み\n2,投稿済み\n".encode()
    only = drifted.only(CODE, "planning/channels/CH01.csv")
    drifted.assert_stale_refused(
        CODE, lambda: drifted.write(f"{SOT}/channels/CH01.csv", newer), *only
    )
    assert (drifted.root / CACHE / "channels/CH01.csv").read_bytes() != SOT_CH01


def test_plan_reaching_outside_the_roots_is_refused(drifted):
    drifted.assert_plan_escapes_refused(CODE, *drifted.only(CODE, "planning/channels/CH01.csv"))
    assert sorted(os.listdir(drifted.outside)) == ["keep.txt"]


def test_a_cache_linked_outside_is_refused(drifted):
    """planning/channels in the cache is a symlink out of the roots: the write is refused, the
    file it leads to is not replaced."""
    os.rename(drifted.root / CACHE / "channels", drifted.outside / "channels")
    os.symlink(drifted.outside / "channels", drifted.root / CACHE / "channels")
    outside_before = drifted.outside_tree()
    before = drifted.user_tree()
    run = drifted.fix_run(CODE, *drifted.only(CODE, "planning/channels/CH01.csv"), expect=1)
    [result] = run["results"]
    assert result["status"] == "refused"
    assert any("leads outside the configured roots" in r for r in result["reasons"])
    assert drifted.outside_tree() == outside_before
    assert drifted.user_tree() == before
