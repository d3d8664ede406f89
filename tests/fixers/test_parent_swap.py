"""A destination's directory swapped for a symlink while an action runs (seed: "nothing outside
the configured roots is written"): the Executor confines an action's parent before it runs, so
the operations that finish a write by rename or link must notice that the directory they write
into is no longer the one that was confined, refuse, and leave nothing outside the roots.

Real trees, the real CLI in this process, and a deterministic swap: a hook on a call every
implementation makes mid-copy (a chunk read of the store copy, the listing of a source subdir
of a tree copy, the fsync of a new file's temp) moves the directory and leaves a symlink in
its place, exactly once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from treehash import snapshot

import ytm_doctor.store.copy as store_copy

NS = "factory_commentary"
VIDEO = "ws/video/runs/CH02-012__r1/remotion/output/final.mp4"
STORED_DIR = f"share/uploads/{NS}/remotion_mp4/CH02/012"
BGM = "ws/video/input/CH01/bgm"  # a link to share/asset_vault/bgm: copied locally (copy op)
SE = "ws/video/input/CH02/se"  # a dangling link: mkdir + write of a README (write op)
README = "README_OFFLINE_FALLBACK.txt"


def files(root: Path) -> dict[str, tuple]:
    """Every file and link under `root` (dirs left out: a moved dir is the test's own)."""
    return {rel: v for rel, v in snapshot(root).items() if v[0] != "dir"}


def temps_anywhere(root: Path) -> list[str]:
    """Hidden temp files or dirs of this tool anywhere under `root`, links never followed."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            if store_copy.TEMP_MARK in name or (name.startswith(".") and name.endswith(".tmp")):
                found.append(os.path.join(dirpath, name))
    return found


class Swap:
    """Moves `folder` away once and leaves a symlink to `elsewhere` in its place.

    `away` inside the roots: the directory is renamed beside itself and the link leads to an
    unrelated outside directory. `away` outside: the directory is moved out of the roots and
    the link leads to it (a folder moved to another disk, a link left behind)."""

    def __init__(self, factory: Any, folder: str, where: str) -> None:
        self.folder = factory.root / folder
        if where == "moved-outside":
            self.away = factory.outside / self.folder.name
            self.target = self.away
        else:
            self.away = self.folder.with_name(self.folder.name + ".moved")
            self.target = factory.outside / "elsewhere"
            self.target.mkdir(exist_ok=True)
        self.done = False
        self.before: dict[str, tuple] = {}

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        self.before = files(self.folder)  # what was there before this run wrote: its temp
        os.rename(self.folder, self.away)
        os.symlink(self.target, self.folder)

    def restore(self) -> None:
        os.unlink(self.folder)
        os.rename(self.away, self.folder)


def expected_outside(factory: Any, outside_before: dict[str, tuple], swap: Swap) -> dict:
    """Outside after the run: what was there, plus what the user moved there (nothing the run
    wrote: no copy, no temp file)."""
    moved = {}
    if swap.away.parent == factory.outside:
        preexisting = {r: v for r, v in swap.before.items() if not _is_temp(r)}
        moved = {f"{swap.away.name}/{r}": v for r, v in preexisting.items()}
    return {**outside_before, **moved}


def _is_temp(rel: str) -> bool:
    name = os.path.basename(rel)
    return store_copy.TEMP_MARK in name or (name.startswith(".") and name.endswith(".tmp"))


def sparse(path: Path, size: int) -> str:
    """A sparse file of `size` bytes, random at both ends; returns its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head, tail = os.urandom(1 << 16), os.urandom(1 << 16)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.seek(size - len(tail))
        fh.write(tail)
    digest = hashlib.sha256(head)
    digest.update(bytes(size - len(head) - len(tail)))
    digest.update(tail)
    return digest.hexdigest()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- store: the verified copy into the shared store ------------------------------------------


@pytest.fixture
def big_video(factory):
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": True})
    # Four chunks of the store copy: the swap comes after the second is read.
    digest = sparse(factory.root / VIDEO, 4 * store_copy.CHUNK - 12345)
    (factory.root / STORED_DIR).mkdir(parents=True)
    factory.write(f"{STORED_DIR}/CH02-011__r1.mp4", b"an episode stored before")
    return digest


def swap_at_chunk(monkeypatch, swap: Swap, nth: int) -> None:
    """Swap when the store copy reads the `nth` chunk of its source (reads at an offset are the
    re-reads of the copy, not counted)."""
    real = store_copy.read_into
    seen = {"reads": 0}

    def read_into(fd: int, buffer: memoryview, offset: int | None = None) -> int:
        if offset is None:
            seen["reads"] += 1
            if seen["reads"] == nth:
                swap()
        return real(fd, buffer, offset)

    monkeypatch.setattr(store_copy, "read_into", read_into)


@pytest.mark.parametrize("where", ["moved-outside", "renamed-inside"])
def test_store_refuses_a_destination_dir_swapped_mid_copy(factory, big_video, where):
    dest = factory.root / STORED_DIR / "CH02-012__r1.mp4"
    swap = Swap(factory, STORED_DIR, where)
    outside_before = files(factory.outside)
    with pytest.MonkeyPatch.context() as mp:
        swap_at_chunk(mp, swap, 2)
        result = factory.cli("store", "--src", VIDEO, "--run")
    assert swap.done, "the copy never reached its second chunk"
    assert result.code == 1, result.out + result.err
    assert "1 failed" in result.out + result.err, result.out + result.err
    assert files(factory.outside) == expected_outside(factory, outside_before, swap)
    assert temps_anywhere(factory.root) == []
    assert not os.path.lexists(swap.away / dest.name)  # not in the renamed-away dir either
    assert sha(factory.root / VIDEO) == big_video  # the local source is intact

    swap.restore()
    again = factory.cli("store", "--src", VIDEO, "--run")
    assert again.code == 0, again.out + again.err
    assert "1 applied" in again.out
    assert sha(dest) == big_video


# -- copy: a tree copied into the workspace (materialize-input) --------------------------------


@pytest.fixture
def bgm_link(factory):
    factory.write("share/asset_vault/bgm/a.mp3", b"song A" * 50)
    factory.write("share/asset_vault/bgm/stems/drums.wav", b"drums")
    factory.write("share/asset_vault/bgm/stems/deep/bass.wav", b"bass")
    factory.link(BGM, factory.share / "asset_vault" / "bgm")
    factory.write("ws/video/input/CH01/notes.txt", b"the user's own file")
    return factory


def when(monkeypatch, module: Any, name: str, ready: Callable[[tuple], bool], swap: Swap) -> None:
    """Swap on the first call of module.name whose arguments make `ready` true."""
    real = getattr(module, name)

    def hooked(*args: Any, **kwargs: Any) -> Any:
        if not swap.done and ready(args):
            swap()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, hooked)


def copy_began(folder: Path, name: str) -> bool:
    """A hidden temp of `name` is in `folder`: the copy into it has begun."""
    try:
        return any(n.startswith(f".{name}.") for n in os.listdir(folder))
    except OSError:
        return False


@pytest.mark.parametrize("where", ["moved-outside", "renamed-inside"])
def test_tree_copy_refuses_a_parent_swapped_mid_copy(bgm_link, where):
    f = bgm_link
    parent = (f.root / BGM).parent
    stems = os.fspath(f.share / "asset_vault" / "bgm" / "stems")
    swap = Swap(f, "ws/video/input/CH01", where)
    outside_before = files(f.outside)

    def ready(args: tuple) -> bool:
        return bool(args) and os.fspath(args[0]) == stems and copy_began(parent, "bgm")

    with pytest.MonkeyPatch.context() as mp:
        when(mp, os, "scandir", ready, swap)
        run = f.fix_run("YTM403", expect=1)
    assert swap.done, "the copy never listed the source's subdirectory"
    assert [r["status"] for r in run["results"]] == ["failed"], run
    assert files(f.outside) == expected_outside(f, outside_before, swap)
    assert temps_anywhere(f.root) == []
    assert not os.path.lexists(swap.away / "bgm")

    swap.restore()
    # The link's rename aside could not be rolled back while its directory was elsewhere: put
    # it back by hand, as the failure's note says, and run the fix again.
    [aside] = f.asides(BGM)
    os.rename(aside, f.root / BGM)
    again = f.fix_run("YTM403")
    assert [r["status"] for r in again["results"]] == ["applied"]
    assert (f.root / BGM / "stems" / "deep" / "bass.wav").read_bytes() == b"bass"


# -- write: a new file (the README of an explained empty directory) ---------------------------


@pytest.mark.parametrize("where", ["moved-outside", "renamed-inside"])
def test_write_refuses_a_parent_swapped_before_its_rename(factory, where):
    f = factory
    f.link(SE, f.share / "asset_vault" / "se_gone")
    folder = f.root / SE
    swap = Swap(f, SE, where)
    outside_before = files(f.outside)

    def ready(args: tuple) -> bool:
        return not folder.is_symlink() and copy_began(folder, README)

    with pytest.MonkeyPatch.context() as mp:
        when(mp, os, "fsync", ready, swap)
        run = f.fix_run("YTM403", expect=1)
    assert swap.done, "the README was never written"
    assert [r["status"] for r in run["results"]] == ["failed"], run
    assert files(f.outside) == expected_outside(f, outside_before, swap)
    assert temps_anywhere(f.root) == []
    assert not os.path.lexists(swap.away / README)

    swap.restore()
    os.rmdir(folder)  # the empty dir the fix made; its rollback could not reach it
    [aside] = f.asides(SE)
    os.rename(aside, folder)
    again = f.fix_run("YTM403")
    assert [r["status"] for r in again["results"]] == ["applied"]
    assert (folder / README).is_file()


def test_journal_records_the_refusal(factory, big_video):
    """The failed copy is journaled as begun and never done: undo has nothing to remove."""
    swap = Swap(factory, STORED_DIR, "moved-outside")
    with pytest.MonkeyPatch.context() as mp:
        swap_at_chunk(mp, swap, 2)
        result = factory.cli("store", "--src", VIDEO, "--run", "--json")
    assert result.code == 1, result.out + result.err
    journals = sorted((factory.report_dir).glob("journal__*.jsonl"))
    lines = [json.loads(line) for line in journals[-1].read_text().splitlines()]
    begun = [x for x in lines if x.get("type") == "begin"]
    assert begun and not [x for x in lines if x.get("type") == "done"]
