"""A journal written by ytm-doctor before operations became registered classes is still listed
and undone (tests/data/journal_v1: made by that version with generate.py). Every operation of
the time is in it: mkdir, write, replace, rename, symlink, copy, store_copy, store_manifest,
release (a local file replaced by a link to its stored copy) and retire."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from ytm_doctor.cli import main

DATA = Path(__file__).parent.parent / "data" / "journal_v1"
RUN_ID = "20260101T000000Z-0a1b2c"


def snapshot(root: Path) -> dict[str, list]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if rel.startswith("ws/logs"):
                continue
            if full.is_symlink():
                out[rel] = ["link", os.readlink(full)]
            elif full.is_dir():
                out[rel] = ["dir"]
            else:
                out[rel] = ["file", hashlib.sha256(full.read_bytes()).hexdigest()]
    return dict(sorted(out.items()))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    world = tmp_path / "world"
    shutil.copytree(DATA / "world", world, symlinks=True)
    return world


def run(world: Path, *args: str) -> int:
    return main(
        [
            *args,
            "--workspace-root",
            str(world / "ws"),
            "--share-root",
            str(world / "share"),
            "--fallback-root",
            str(world / "outbox"),
            "--set",
            "shared_storage.require_mount=false",
            "--set",
            "shared_storage.namespace=factory_commentary",
            # Undo copies bytes back: this machine's free space is not the test's.
            "--set",
            "disk.stop_free_gib=0",
        ]
    )


def test_an_old_journal_is_listed(world: Path, capsys) -> None:
    assert run(world, "undo", "--list") == 0
    out = capsys.readouterr().out
    assert RUN_ID in out
    assert "fix" in out and "10 actions" in out


def test_an_old_journal_is_undone_to_the_tree_before_it(world: Path, capsys) -> None:
    before = json.loads((DATA / "before.json").read_text())
    assert snapshot(world) != before
    assert run(world, "undo", RUN_ID) == 0  # the preview: every fix ready
    preview = capsys.readouterr().out
    assert "refused" not in preview
    assert preview.count("ready") == 6
    assert run(world, "undo", RUN_ID, "--run") == 0
    out = capsys.readouterr().out
    assert "6 undone, 0 refused, 0 failed" in out
    assert snapshot(world) == before
