"""ensure-vault-dirs (YTM203) from the command line: the Vault directories every tool expects
are created (nested ones level by level); dry-run, undo, stale and escaping plans, what it
cannot fix, and the share being a stub."""

from __future__ import annotations

import os
import shutil

import pytest

CODE = "YTM203"
REQUIRED = ("share/ytm_workspaces/thumbnails/assets", "share/ytm_workspaces/video/runs")


@pytest.fixture
def bare(factory):
    """A Vault without thumbnails/ (so thumbnails/assets needs two levels), video/runs or
    asset_vault."""
    shutil.rmtree(factory.vault / "thumbnails")
    os.rmdir(factory.vault / "video" / "runs")
    os.rmdir(factory.share / "asset_vault")
    return factory


def test_dry_run_changes_nothing(bare):
    plan = bare.dry_run(CODE)
    [fix] = plan["fixes"]
    made = [(a["op"], a["path"]["root"], a["path"]["rel"]) for a in fix["actions"]]
    assert sorted(made) == [
        ("mkdir", "share", "asset_vault"),
        ("mkdir", "share", "ytm_workspaces/thumbnails"),
        ("mkdir", "share", "ytm_workspaces/thumbnails/assets"),
        ("mkdir", "share", "ytm_workspaces/video/runs"),
    ]
    # A parent before its child; existing parents (ytm_workspaces/video) are not planned.
    rels = [rel for _, _, rel in made]
    assert rels.index("ytm_workspaces/thumbnails") < rels.index("ytm_workspaces/thumbnails/assets")
    assert not (bare.vault / "thumbnails").exists()


def test_run_creates_every_required_dir_and_the_rescan_is_clean(bare):
    paths = sorted(f["path"] for f in bare.scan(CODE))
    assert paths == ["asset_vault", "ytm_workspaces/thumbnails/assets", "ytm_workspaces/video/runs"]
    run = bare.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"]
    for rel in (*REQUIRED, "share/asset_vault"):
        path = bare.root / rel
        assert path.is_dir() and not path.is_symlink(), rel
    assert bare.scan(CODE) == []


def test_undo_removes_exactly_what_was_created(bare):
    before = bare.user_tree()
    run = bare.fix_run(CODE)
    bare.assert_undo_restores(run, before)
    assert not (bare.vault / "thumbnails").exists()
    assert (bare.vault / "video").is_dir()  # existed before: not the fix's to remove


def test_stale_plan_is_refused_when_a_dir_appeared_meanwhile(bare):
    bare.assert_stale_refused(CODE, lambda: (bare.vault / "thumbnails").mkdir())
    assert not (bare.vault / "thumbnails" / "assets").exists()  # the whole fix is refused
    assert not (bare.share / "asset_vault").exists()


def test_stale_plan_is_refused_when_a_file_took_the_place(bare):
    bare.assert_stale_refused(CODE, lambda: bare.write("share/asset_vault", "a file"))
    assert (bare.share / "asset_vault").read_text() == "a file"


def test_plan_reaching_outside_the_roots_is_refused(bare):
    bare.assert_plan_escapes_refused(CODE)
    assert sorted(os.listdir(bare.outside)) == ["keep.txt"]


def test_saved_plan_waits_while_the_share_is_a_stub(bare):
    plan = bare.save_plan(CODE)
    bare.stub_share()
    before = bare.user_tree()
    result = bare.apply(plan)
    assert result.code == 1, result.out + result.err
    assert "the share is stub; this fix waits for the share to be mounted" in result.out
    assert "0 applied, 1 refused, 0 failed" in result.out
    assert bare.user_tree() == before


def test_a_file_where_a_dir_should_be_is_unfixable_and_left_alone(factory):
    factory.write("share/ytm_workspaces/video/runs.txt", "x")
    os.rmdir(factory.vault / "video" / "runs")
    factory.write("share/ytm_workspaces/video/runs", "someone's notes")
    before = factory.tree()
    plan = factory.dry_run(CODE)
    assert plan["fixes"] == []
    [item] = plan["unfixable"]
    assert item["where"] == "share:ytm_workspaces/video/runs"
    assert item["reason"] == "not a directory where a directory should be; move it aside by hand"
    text = factory.cli("fix", "--select", CODE).out
    assert "move it aside by hand" in text and "cannot fix automatically" in text
    run = factory.fix_run(CODE)
    assert run["results"] == []
    assert factory.user_tree() == before
    assert (factory.vault / "video" / "runs").read_text() == "someone's notes"
