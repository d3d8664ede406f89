"""materialize-input (YTM403, and YTM301 under video/input) from the command line: a video/input
link becomes a real local directory (a copy of its target, else of an archived snapshot, else an
empty dir explaining itself in README_OFFLINE_FALLBACK.txt), the link kept aside as
`*.symlink_shared_backup_<stamp>` (seed 001 §0.2); dry-run, undo, stale and escaping plans."""

from __future__ import annotations

import os

import pytest

CODE = "YTM403"
README = "README_OFFLINE_FALLBACK.txt"
BGM = "ws/video/input/CH01/bgm"  # -> share/asset_vault/bgm (reachable)
SE = "ws/video/input/CH02/se"  # -> share/asset_vault/se_gone (dangling, no archive)
SFX = "ws/video/input/CH03/sfx"  # -> share/asset_vault/sfx_gone (dangling, archived)
VOICE = "ws/video/input/CH04/voice"  # -> ../../../missing/voice (YTM301: not on the share)
OLD_STAMP, NEW_STAMP = "20250101T000000Z", "20260101T000000Z"


@pytest.fixture
def linked(factory):
    f = factory
    f.write("share/asset_vault/bgm/a.mp3", b"song A" * 50)
    f.write("share/asset_vault/bgm/.hidden", b"hidden")
    f.write("share/asset_vault/bgm/stems/drums.wav", b"drums")
    f.link(BGM, f.share / "asset_vault" / "bgm")
    f.link(SE, f.share / "asset_vault" / "se_gone")
    f.link(SFX, f.share / "asset_vault" / "sfx_gone")
    f.write(f"ws/video/_archive/{OLD_STAMP}/video/input/CH03/sfx/boom.wav", b"old boom")
    f.write(f"ws/video/_archive/{NEW_STAMP}/video/input/CH03/sfx/boom.wav", b"new boom")
    f.write(f"ws/video/_archive/{NEW_STAMP}/video/input/CH03/sfx/.meta", b"meta")
    f.link(VOICE, "../../../missing/voice")
    return f


def rel_ws(rel: str) -> str:
    return rel.removeprefix("ws/")


def contents(path) -> dict[str, bytes]:
    out = {}
    for dirpath, _, files in os.walk(path):
        for name in files:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as fh:
                out[os.path.relpath(full, path)] = fh.read()
    return out


def assert_materialized(factory, rel: str, old_target: str) -> None:
    path = factory.root / rel
    assert path.is_dir() and not path.is_symlink(), rel
    [aside] = factory.asides(rel)
    assert os.readlink(aside) == old_target  # the original link, kept


def test_dry_run_changes_nothing(linked):
    plan = linked.dry_run(CODE)
    ops = {f["title"].split(":")[1]: [a["op"] for a in f["actions"]] for f in plan["fixes"]}
    assert ops == {
        "video/input/CH01/bgm": ["rename", "copy"],
        "video/input/CH02/se": ["rename", "mkdir", "write", "record"],
        "video/input/CH03/sfx": ["rename", "copy"],
    }
    plan = linked.dry_run("YTM301")
    assert [[a["op"] for a in f["actions"]] for f in plan["fixes"]] == [
        ["rename", "mkdir", "write", "record"]
    ]


def test_run_copies_a_reachable_target_locally(linked):
    share_before = linked.subtree("share")
    target = str(linked.share / "asset_vault" / "bgm")
    run = linked.fix_run(CODE, *linked.only(CODE, rel_ws(BGM)))
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert_materialized(linked, BGM, target)
    assert contents(linked.root / BGM) == contents(target)  # hidden and nested files too
    assert contents(linked.root / BGM)[".hidden"] == b"hidden"
    assert linked.findings_at(CODE, rel_ws(BGM)) == []
    assert linked.subtree("share") == share_before  # the share was only read


def test_run_gives_an_unreachable_target_an_explained_empty_dir(linked):
    target = str(linked.share / "asset_vault" / "se_gone")
    linked.fix_run(CODE, *linked.only(CODE, rel_ws(SE)))
    assert_materialized(linked, SE, target)
    assert os.listdir(linked.root / SE) == [README]
    text = (linked.root / SE / README).read_text()
    assert f"video/input/CH02/se -> {target}" in text
    assert linked.asides(SE)[0].name in text
    assert "ytm-doctor undo" in text
    # A stand-in: reported (info) until its link is back, and not fixable while the target is gone.
    [finding] = linked.findings_at(CODE, rel_ws(SE))
    assert finding["severity"] == "info"
    assert "is an offline fallback in use since" in finding["message"]
    assert finding["details"]["unfixable"] == "an offline fallback waits for the share"
    assert not (linked.share / "asset_vault" / "se_gone").exists()  # nothing made on the share


def test_run_copies_the_newest_archived_snapshot_when_the_target_is_gone(linked):
    archive = linked.ws / "video" / "_archive"
    archive_before = contents(archive)
    linked.fix_run(CODE, *linked.only(CODE, rel_ws(SFX)))
    assert_materialized(linked, SFX, str(linked.share / "asset_vault" / "sfx_gone"))
    assert contents(linked.root / SFX) == {"boom.wav": b"new boom", ".meta": b"meta"}
    assert contents(archive) == archive_before  # copied, not moved
    assert linked.findings_at(CODE, rel_ws(SFX)) == []


def test_run_copies_from_the_vault_archive_while_the_share_is_online(factory):
    target = factory.share / "asset_vault" / "sfx_gone"
    factory.link(SFX, target)
    factory.write(
        f"share/ytm_workspaces/video/_archive/{NEW_STAMP}/video/input/CH03/sfx/x.wav", "x"
    )
    factory.fix_run(CODE)
    assert_materialized(factory, SFX, str(target))
    assert contents(factory.root / SFX) == {"x.wav": b"x"}


def test_run_materializes_a_dangling_input_link_off_the_share_ytm301(linked):
    assert [f["path"] for f in linked.scan("YTM301")] == [rel_ws(VOICE)]
    run = linked.fix_run("YTM301")
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert_materialized(linked, VOICE, "../../../missing/voice")
    assert os.listdir(linked.root / VOICE) == [README]
    assert linked.scan("YTM301") == []


def test_whole_run_then_undo_restores_the_tree(linked):
    before = linked.user_tree()
    run = linked.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"] * 3
    assert [(f["path"], f["severity"]) for f in linked.scan(CODE)] == [(rel_ws(SE), "info")]
    linked.assert_undo_restores(run, before)
    assert os.readlink(linked.root / BGM) == str(linked.share / "asset_vault" / "bgm")

    run = linked.fix_run("YTM301")
    linked.assert_undo_restores(run, before)


def test_stale_plan_is_refused_when_the_link_was_repointed(linked):
    only = linked.only(CODE, rel_ws(BGM))
    linked.assert_stale_refused(CODE, lambda: linked.repoint(BGM, linked.share / "other"), *only)
    assert os.readlink(linked.root / BGM) == str(linked.share / "other")


def test_stale_plan_is_refused_when_someone_materialized_it_by_hand(linked):
    def by_hand():
        os.unlink(linked.root / SE)
        linked.write(SE + "/mine.wav", b"recorded again")

    linked.assert_stale_refused(CODE, by_hand, *linked.only(CODE, rel_ws(SE)))
    assert contents(linked.root / SE) == {"mine.wav": b"recorded again"}


def test_plan_reaching_outside_the_roots_is_refused(linked):
    linked.assert_plan_escapes_refused(CODE, *linked.only(CODE, rel_ws(BGM)))
    assert sorted(os.listdir(linked.outside)) == ["keep.txt"]
