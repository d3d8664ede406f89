"""The walk for Hot's links and its cache (ytm_doctor/mirror/linkwalk.py): a folder unchanged
since the last mirror is not listed again, and no change to a folder is ever missed because of
it: links added, removed or replaced, a folder's mtime set back, a cache that is damaged or
belongs to another Hot root. Small real trees; no timing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ytm_doctor.mirror import linkwalk
from ytm_doctor.mirror.linkwalk import walk_links


@pytest.fixture
def hot(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for rel in ("audio/final/CH01/001", "video/runs/R1/images", "scripts/CH01/001"):
        (root / rel).mkdir(parents=True)
        (root / rel / "f.txt").write_text("x")
    (root / "video/runs/R1/capcut_draft").symlink_to("/elsewhere/draft")
    (root / "audio/final/CH01/001/a.wav").symlink_to("../../../../video/runs/R1/images/f.txt")
    return root


@pytest.fixture
def trusting(monkeypatch) -> None:
    """Folders count as old enough to remember at once (in a test every folder is seconds
    old, and the walk rightly lists such folders again every time)."""
    monkeypatch.setattr(linkwalk, "RACY_SEC", -3600)


def links(walk) -> set[str]:
    return {rel for rel, _path in walk.links}


def test_an_unchanged_tree_is_not_listed_again_and_gives_the_same_links(hot, trusting) -> None:
    cache = str(hot.parent / "walk.cache")
    first = walk_links(str(hot), set(), cache, save=True)
    again = walk_links(str(hot), set(), cache, save=True)
    assert (
        links(first) == links(again) == {"video/runs/R1/capcut_draft", "audio/final/CH01/001/a.wav"}
    )
    assert first.listed == first.folders > 0
    assert again.listed == 0 and again.folders == first.folders


def test_every_change_to_a_folder_is_seen(hot, trusting) -> None:
    cache = str(hot.parent / "walk.cache")
    walk_links(str(hot), set(), cache, save=True)
    folder = hot / "scripts/CH01/001"
    before = os.stat(folder)
    (folder / "new_link").symlink_to("f.txt")
    # Set the folder's times back, as a copy that keeps times would: its ctime still moved.
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    (hot / "video/runs/R1/capcut_draft").unlink()
    (hot / "video/runs/R1/new_dir").mkdir()
    (hot / "video/runs/R1/new_dir/deep").symlink_to("/x")

    walk = walk_links(str(hot), set(), cache, save=True)

    assert links(walk) == {
        "scripts/CH01/001/new_link",
        "audio/final/CH01/001/a.wav",
        "video/runs/R1/new_dir/deep",
    }
    assert walk.listed == 3  # the two changed folders and the new one


def test_a_folder_that_becomes_a_link_is_not_entered(hot, trusting) -> None:
    cache = str(hot.parent / "walk.cache")
    walk_links(str(hot), set(), cache, save=True)
    (hot / "scripts/CH01/001/f.txt").unlink()
    (hot / "scripts/CH01/001").rmdir()
    (hot / "scripts/CH01/001").symlink_to(hot / "video")
    assert "scripts/CH01/001" in links(walk_links(str(hot), set(), cache, save=True))


def test_fresh_folders_are_listed_again_until_they_are_old_enough(hot) -> None:
    cache = str(hot.parent / "walk.cache")
    walk_links(str(hot), set(), cache, save=True)
    again = walk_links(str(hot), set(), cache, save=True)
    # Changed within the last seconds: a change in the same clock tick could hide, so they
    # are never trusted from the cache.
    assert again.listed == again.folders


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"not marshal at all", None], ids=str)
def test_a_damaged_or_foreign_cache_only_costs_a_full_listing(hot, trusting, damage) -> None:
    cache = hot.parent / "walk.cache"
    expected = links(walk_links(str(hot), set(), str(cache), save=True))
    if damage is None:  # a cache of another Hot root, with the same folder names
        other = hot.parent / "other"
        (other / "video/runs/R1").mkdir(parents=True)
        walk_links(str(other), set(), str(cache), save=True)
    else:
        cache.write_bytes(damage)
    walk = walk_links(str(hot), set(), str(cache), save=True)
    assert links(walk) == expected and walk.listed == walk.folders


def test_skipped_subtrees_are_never_entered_and_a_dry_walk_writes_nothing(hot, trusting) -> None:
    cache = hot.parent / "walk.cache"
    walk = walk_links(str(hot), {"video/runs"}, str(cache), save=False)
    assert links(walk) == {"audio/final/CH01/001/a.wav"}
    assert not cache.exists()
