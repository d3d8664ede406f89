"""The outbox (SPEC §3, §6.2; seed 000 §1.1): store while the share is down writes the same
layout locally and says so; `store flush-outbox` and the flush-outbox fixer (YTM701) move it
to the share once it is back, verified, and finish the job when run again after an
interruption. Real temporary trees, the share's stub marker as the seeds use it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

NS = "factory_commentary"
SHARED = f"share/uploads/{NS}"
OUTBOX = f"outbox/uploads/{NS}"
FILES = {
    "ws/scripts/CH02/012/content/assembled_human.md": "scripts/CH02/012/assembled_human.md",
    "ws/audio/final/CH02/012/CH02-012.wav": "audio_final/CH02/012/CH02-012.wav",
    "ws/audio/final/CH02/012/CH02-012.srt": "audio_final/CH02/012/CH02-012.srt",
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(
        os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names
    )


def records(base: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(base.glob("manifests/*/*.json"))]


@pytest.fixture
def stored_offline(factory):
    """CH02-012's script and audio, stored with `store episode --run` while the share was a
    stub: they sit in the outbox."""
    factory.write("ws/scripts/CH02/012/content/assembled_human.md", "# 台本\n")
    factory.write("ws/audio/final/CH02/012/CH02-012.wav", b"RIFF" + os.urandom(200_000))
    factory.write("ws/audio/final/CH02/012/CH02-012.srt", "1\n00:00 --> 00:01\nはい\n")
    factory.stub_share()
    result = factory.cli("store", "episode", "--channel", "CH02", "--video", "012", "--run")
    assert result.code == 0, result.out + result.err
    factory.store_output = result.out
    return factory


def share_back(factory) -> None:
    os.unlink(factory.root / "share/README_MOUNTPOINT.txt")


def flush(factory, *args: str, expect: int = 0):
    result = factory.cli("store", "flush-outbox", *args)
    assert result.code == expect, result.out + result.err
    return result


def assert_flushed(factory) -> None:
    """The end state of a complete flush: every file on the share with the manifest's hash,
    manifests there with mode shared, no file left in the outbox."""
    shared = factory.root / SHARED
    for src, dest in FILES.items():
        assert sha(shared / dest) == sha(factory.root / src), dest
    found = records(shared)
    assert sorted(r["kind"] for r in found) == ["audio_final", "scripts"]
    for record in found:
        assert record["mode"] == "shared" and record["flushed_from"] == "outbox"
        for entry in record["entries"]:
            assert entry["sha256"] == sha(shared / entry["path"]), entry
            assert entry["size"] == (shared / entry["path"]).stat().st_size
    assert files_under(factory.root / "outbox") == []
    assert not [p for p in files_under(shared) if ".ytm-tmp-" in p]


def test_store_while_the_share_is_a_stub_goes_to_the_outbox_and_says_so(stored_offline):
    assert "the local outbox" in stored_offline.store_output
    assert "(the share is stub)" in stored_offline.store_output
    assert "store flush-outbox --run" in stored_offline.store_output
    outbox = stored_offline.root / OUTBOX
    for src, dest in FILES.items():
        assert sha(outbox / dest) == sha(stored_offline.root / src)
    found = records(outbox)
    assert {r["mode"] for r in found} == {"outbox"}
    assert {r["outbox_reason"] for r in found} == {"the share is stub"}
    assert files_under(stored_offline.root / "share/uploads") == []  # nothing into the stub


def test_flush_while_the_share_is_still_down_changes_nothing(stored_offline):
    before = stored_offline.tree()
    result = flush(stored_offline, "--run", expect=1)
    assert "2 manifests wait in the outbox, but the share is stub" in result.out
    assert stored_offline.tree() == before


def test_share_back_then_flush_leaves_shared_manifests_and_an_empty_outbox(stored_offline):
    share_back(stored_offline)
    before = stored_offline.tree()
    preview = flush(stored_offline)
    assert "dry-run: nothing was changed" in preview.out
    assert stored_offline.tree() == before
    result = flush(stored_offline, "--run")
    assert "2 applied, 0 refused, 0 failed" in result.out
    assert_flushed(stored_offline)
    # The outbox manifests are kept in the run's backups, not lost.
    backups = stored_offline.report_dir / "backups"
    assert len(list(backups.rglob("manifests/*/*.json"))) == 2
    again = flush(stored_offline, "--run")
    assert "the outbox is empty: nothing to flush" in again.out


def test_a_flush_interrupted_half_way_and_rerun_ends_in_the_same_state(stored_offline, monkeypatch):
    from ytm_doctor.store.ops import store_copy as store_ops

    share_back(stored_offline)
    real = store_ops.copy_verified
    share = str(stored_offline.root / SHARED)
    done: list[str] = []

    def fail_after_the_first_item(src, dest, **kwargs):
        # The share drops once the first manifest's files are on it.
        if dest.startswith(share) and done and os.path.dirname(dest) != done[0]:
            raise OSError(5, "the share dropped", dest)
        if dest.startswith(share):
            done.append(os.path.dirname(dest))
        return real(src, dest, **kwargs)

    monkeypatch.setattr(store_ops, "copy_verified", fail_after_the_first_item)
    result = flush(stored_offline, "--run", expect=1)
    assert "1 applied, 0 refused, 1 failed" in result.out
    # The failed manifest's items are still in the outbox, whole; nothing half-done on the share.
    assert len(records(stored_offline.root / OUTBOX)) == 1
    assert len(records(stored_offline.root / SHARED)) == 1
    monkeypatch.setattr(store_ops, "copy_verified", real)

    result = flush(stored_offline, "--run")
    assert "1 applied, 0 refused, 0 failed" in result.out
    assert_flushed(stored_offline)


def test_an_item_already_on_the_share_only_loses_its_outbox_copy(stored_offline):
    """A flush killed after copying a file but before removing its outbox copy: the rerun does
    not copy it again, rewrites the manifest with mode shared, and clears the outbox."""
    share_back(stored_offline)
    dest = FILES["ws/audio/final/CH02/012/CH02-012.wav"]
    target = stored_offline.root / SHARED / dest
    target.parent.mkdir(parents=True)
    shutil.copy2(stored_offline.root / OUTBOX / dest, target)
    inode = target.stat().st_ino
    plan = json.loads(stored_offline.cli("store", "flush-outbox", "--json").out)["plan"]
    [audio] = [f for f in plan["fixes"] if "audio_final" in f["title"]]
    copies = [a["path"]["rel"] for a in audio["actions"] if a["op"] == "store_copy"]
    assert copies == [f"uploads/{NS}/audio_final/CH02/012/CH02-012.srt"]
    flush(stored_offline, "--run")
    assert target.stat().st_ino == inode  # not copied again
    assert_flushed(stored_offline)


def test_a_damaged_outbox_copy_is_not_flushed_and_stays(stored_offline):
    share_back(stored_offline)
    damaged = stored_offline.root / OUTBOX / FILES["ws/audio/final/CH02/012/CH02-012.srt"]
    damaged.write_text("garbled")
    result = flush(stored_offline, "--run", expect=1)
    assert "1 applied, 0 refused, 1 failed" in result.out
    assert "not the expected" in result.out
    assert damaged.read_text() == "garbled"
    assert not (stored_offline.root / SHARED / "audio_final").exists()


def test_undo_of_a_flush_puts_the_outbox_back(stored_offline):
    share_back(stored_offline)
    before = stored_offline.user_tree()
    result = flush(stored_offline, "--run")
    run_id = result.out.split("run ", 1)[1].split(":", 1)[0]
    stored_offline.undo(run_id)
    assert stored_offline.user_tree() == before


def test_the_fixer_of_ytm701_flushes_like_the_command(stored_offline):
    share_back(stored_offline)
    findings = stored_offline.scan("YTM701")
    assert len(findings) == 2
    assert all(f["fix"] and f["root"] == "outbox" for f in findings)
    stored_offline.dry_run("YTM701")
    run = stored_offline.fix_run("YTM701")
    assert [r["status"] for r in run["results"]] == ["applied", "applied"]
    assert_flushed(stored_offline)
    assert stored_offline.scan("YTM701") == []


def test_nothing_in_the_outbox_is_nothing_to_do(factory):
    before = factory.tree()
    result = flush(factory, "--run")
    assert "the outbox is empty" in result.out
    assert factory.tree() == before
