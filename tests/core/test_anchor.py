"""The directory held open while a write finishes (ytm_doctor.anchor): a directory moved away and
replaced by a link refuses the rename or link that would finish the write, before it or right
after it (then undone), with the *at() calls and with the path fallback alike."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ytm_doctor.anchor as anchor_mod
from ytm_doctor.anchor import Anchor, ParentChanged
from ytm_doctor.atomic import write_at


@pytest.fixture(params=[True, False], ids=["at-calls", "path-fallback"])
def at_calls(request, monkeypatch) -> bool:
    monkeypatch.setattr(anchor_mod, "HAVE_AT", request.param and anchor_mod.HAVE_AT)
    return request.param


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "root" / "dir").mkdir(parents=True)
    (tmp_path / "root" / "dir" / "old.txt").write_bytes(b"old")
    (tmp_path / "outside").mkdir()
    return tmp_path


def swap(tree: Path) -> None:
    """root/dir moves out of the roots; a link to it is left in its place."""
    os.rename(tree / "root" / "dir", tree / "outside" / "dir")
    os.symlink(tree / "outside" / "dir", tree / "root" / "dir")


def test_verify_notices_the_directory_moved_and_linked_back(tree, at_calls):
    with Anchor.open(tree / "root" / "dir") as anchor:
        anchor.verify()
        swap(tree)
        assert not anchor.holds()
        with pytest.raises(ParentChanged, match="moved or replaced by a link"):
            anchor.verify()


def test_a_link_on_the_way_is_resolved_once_and_held(tree, at_calls):
    os.symlink(tree / "root" / "dir", tree / "root" / "via")  # a link inside the roots
    with Anchor.open(tree / "root" / "via") as anchor:
        assert anchor.real == str(tree / "root" / "dir")
        anchor.verify()
        write_at(anchor, "new.txt", b"new")
    assert (tree / "root" / "dir" / "new.txt").read_bytes() == b"new"


@pytest.mark.parametrize("replace", [False, True], ids=["create", "replace"])
def test_a_write_whose_directory_moved_is_refused_and_leaves_nothing(tree, at_calls, replace):
    name = "old.txt" if replace else "new.txt"
    with Anchor.open(tree / "root" / "dir") as anchor:
        real_fsync = os.fsync

        def fsync_then_swap(fd: int) -> None:
            real_fsync(fd)
            if not os.path.islink(tree / "root" / "dir"):
                swap(tree)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(os, "fsync", fsync_then_swap)
            with pytest.raises(ParentChanged):
                write_at(anchor, name, b"new", replace=replace)
    assert sorted(os.listdir(tree / "outside" / "dir")) == ["old.txt"]  # no temp, no new name
    assert (tree / "outside" / "dir" / "old.txt").read_bytes() == b"old"


@pytest.mark.parametrize("replace", [False, True], ids=["create", "replace"])
def test_a_swap_between_the_check_and_the_rename_is_undone(tree, at_calls, replace):
    """The narrowest window: the directory moves after the check, before the link or rename
    that names the file. The check right after notices it and takes the name back."""
    name = "old.txt" if replace else "new.txt"
    finish = Anchor.rename if replace else Anchor.link

    def swap_then(self, src: str, dst: str) -> None:
        if dst == name and not os.path.islink(tree / "root" / "dir"):
            swap(tree)
        finish(self, src, dst)

    with Anchor.open(tree / "root" / "dir") as anchor, pytest.MonkeyPatch.context() as mp:
        mp.setattr(Anchor, "rename" if replace else "link", swap_then)
        with pytest.raises(ParentChanged):
            write_at(anchor, name, b"new", replace=replace)
    assert sorted(os.listdir(tree / "outside" / "dir")) == ["old.txt"]
    assert (tree / "outside" / "dir" / "old.txt").read_bytes() == b"old"  # given back


def test_remove_gives_the_file_back_when_the_directory_moved_during_it(tree, at_calls):
    real_rename = Anchor.rename

    def swap_then(self, src: str, dst: str) -> None:
        real_rename(self, src, dst)
        if src == "old.txt":
            swap(tree)

    with Anchor.open(tree / "root" / "dir") as anchor, pytest.MonkeyPatch.context() as mp:
        mp.setattr(Anchor, "rename", swap_then)
        with pytest.raises(ParentChanged):
            anchor.remove("old.txt")
    assert os.listdir(tree / "outside" / "dir") == ["old.txt"]


def test_remove_tree_never_follows_a_link(tree, at_calls):
    (tree / "root" / "dir" / "t" / "sub").mkdir(parents=True)
    (tree / "root" / "dir" / "t" / "sub" / "f").write_bytes(b"f")
    os.symlink(tree / "outside", tree / "root" / "dir" / "t" / "out")
    (tree / "outside" / "precious").write_bytes(b"p")
    with Anchor.open(tree / "root" / "dir") as anchor:
        anchor.remove_tree("t")
    assert sorted(os.listdir(tree / "root" / "dir")) == ["old.txt"]
    assert (tree / "outside" / "precious").read_bytes() == b"p"
