"""`ytm-doctor reclaim` and the stop threshold, from the command line on real trees: published
episodes only; delete-allowed kinds released only against a stored copy verified when the
release runs; archive-only kinds kept; CapCut exports after their retention; undo copying the
bytes back; the dry-run changing nothing; below `disk.stop_free_gib` nothing that adds bytes
runs (a store into the outbox, a materialize copy) while reclaim still does; YTM502 and YTM501
through real scans."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

NS = "factory_commentary"
BASE = f"share/uploads/{NS}"
RUN = "CH02-012__20260101T000000Z"
WAV = "ws/audio/final/CH02/012/CH02-012.wav"
SRT = "ws/audio/final/CH02/012/CH02-012.srt"
SCRIPT = "ws/scripts/CH02/012/content/assembled_human.md"
THUMB = "ws/thumbnails/assets/CH02/012/v1/00_thumb.png"
EXPORT = f"ws/video/runs/{RUN}/CH02-012_export.mp4"
REMOTION = f"ws/video/runs/{RUN}/remotion/output/final.mp4"
STORED_WAV = f"{BASE}/audio_final/CH02/012/CH02-012.wav"
STORED_EXPORT = f"{BASE}/capcut_exports/CH02/012/{RUN}.mp4"
GIB = 1024**3


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ws(rel: str) -> str:
    return rel.removeprefix("ws/")


@pytest.fixture
def posted(factory):
    """CH02-012, published (publish_lock), with its L1 stored: final audio, script, selected
    thumbnail, and a CapCut export of its run; a Remotion output in the run too."""
    f = factory
    f.write(WAV, b"RIFF" + os.urandom(200_000))
    f.write(SRT, "1\n00:00:00,000 --> 00:00:01,000\nこんにちは\n")
    f.write(SCRIPT, "# 台本\n")
    f.write(THUMB, b"\x89PNG" + os.urandom(500))
    f.write_json(
        "ws/thumbnails/projects.json",
        {
            "projects": [
                {
                    "channel": "CH02",
                    "video": "012",
                    "selected_variant_id": "v1",
                    "variants": [{"id": "v1", "image_path": "CH02/012/v1/00_thumb.png"}],
                }
            ]
        },
    )
    f.write(REMOTION, b"remotion" * 100)
    f.write(EXPORT, b"export" * 1000)
    f.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": True})
    for args in (("episode", "--channel", "CH02", "--video", "012"), ("--src", EXPORT)):
        result = f.cli("store", *args, "--run")
        assert result.code == 0, result.out + result.err
    return f


def reclaim(factory, *args: str, expect: int = 0):
    result = factory.cli("reclaim", *args)
    assert result.code == expect, result.out + result.err
    return result


def age(factory, *rels: str, hours: float) -> None:
    """Make files look `hours` old (the posting time is read from status.json's mtime)."""
    then = time.time() - hours * 3600
    for rel in rels:
        os.utime(factory.root / rel, (then, then))


def items(data: dict) -> dict[str, str]:
    return {i["path"]: i["verdict"] for e in data["episodes"] for i in e["items"]}


# -- what goes, what stays --------------------------------------------------------------------


def test_dry_run_lists_verdicts_and_changes_nothing(posted):
    before = posted.tree()
    text = reclaim(posted)
    data = reclaim(posted, "--json").json()
    assert posted.tree() == before  # every byte, the tool's logs included
    assert data["dry_run"] is True
    assert items(data) == {
        ws(SRT): "release",
        ws(WAV): "release",
        ws(EXPORT): "retained",  # posted just now: within the 24 h retention
        f"video/runs/{RUN}": "archive-only",
        "thumbnails/assets/CH02/012": "kept",
    }
    wav = (posted.root / WAV).stat().st_size
    srt = (posted.root / SRT).stat().st_size
    assert data["reclaimable_bytes"] == wav + srt
    assert data["episodes"][0]["reclaimable_bytes"] == wav + srt
    assert "dry-run: nothing was changed" in text.out
    assert "ytm-doctor archive runs --channel CH02 --video 012" in text.out


def test_run_releases_only_delete_allowed_kinds_and_reports_the_space(posted):
    kept = {rel: sha(posted.root / rel) for rel in (SCRIPT, THUMB, EXPORT, REMOTION)}
    stored = sha(posted.root / STORED_WAV)
    freed = (posted.root / WAV).stat().st_size + (posted.root / SRT).stat().st_size
    result = reclaim(posted, "--run", "--json")
    data = result.json()
    assert [r["status"] for r in data["results"]] == ["applied", "applied"]
    assert data["reclaimed_bytes"] == freed
    assert data["episodes"][0]["reclaimed_bytes"] == freed
    assert not os.path.lexists(posted.root / WAV) and not os.path.lexists(posted.root / SRT)
    assert {rel: sha(posted.root / rel) for rel in kept} == kept  # archive-only, retained
    assert sha(posted.root / STORED_WAV) == stored
    text = reclaim(posted, "--run")  # nothing left to release: says so, exits 0
    assert "total: 0 B reclaimable" in text.out


def test_a_stored_copy_tampered_after_storing_keeps_the_local_file(posted):
    """Same size, other bytes: the manifest still vouches for it, so the plan releases it;
    the release re-reads the stored copy when it runs and refuses."""
    stored = posted.root / STORED_WAV
    data = stored.read_bytes()
    stored.write_bytes(data[:-4] + b"XXXX")
    local = sha(posted.root / WAV)
    result = reclaim(posted, "--run", "--json", expect=1)
    by_path = {r["fix"]["actions"][0]["path"]["rel"]: r for r in result.json()["results"]}
    assert by_path[ws(WAV)]["status"] == "failed"
    assert "the local file is kept" in " ".join(by_path[ws(WAV)]["reasons"])
    assert sha(posted.root / WAV) == local
    assert by_path[ws(SRT)]["status"] == "applied"  # one bad copy keeps only its own file


def test_undo_copies_the_bytes_back_from_the_store(posted):
    before = posted.user_tree()
    result = reclaim(posted, "--run", "--json")
    assert posted.user_tree() != before
    posted.undo(result.json()["run_id"])
    assert posted.user_tree() == before


def test_unstored_and_changed_files_are_kept_with_the_store_command(posted):
    extra = "ws/audio/final/CH02/012/CH02-012.txt"
    posted.write(extra, "notes")
    posted.write(SRT, "1\n00:00:00,000 --> 00:00:01,000\n変更\n")  # changed since stored
    text = reclaim(posted)
    data = reclaim(posted, "--json").json()
    assert items(data)[ws(extra)] == "store-first"
    assert items(data)[ws(SRT)] == "store-first"
    assert items(data)[ws(WAV)] == "release"
    assert "store it first: ytm-doctor store episode --channel CH02 --video 012 --run" in text.out
    assert "ytm-doctor store --src" in text.out  # what `store episode` does not pick up


def test_exports_go_once_their_retention_is_over(posted):
    age(posted, "ws/scripts/CH02/012/status.json", EXPORT, hours=30)
    data = reclaim(posted, "--json").json()
    assert items(data)[ws(EXPORT)] == "release"
    retained = reclaim(posted, "--json", "--set", "reclaim.exports_retention_hours=48").json()
    assert items(retained)[ws(EXPORT)] == "retained"
    reclaim(posted, "--run")
    assert not os.path.lexists(posted.root / EXPORT)
    assert (posted.root / REMOTION).is_file() and (posted.root / STORED_EXPORT).is_file()


def test_unposted_episodes_are_not_touched(posted):
    posted.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": False})
    before = posted.user_tree()
    text = reclaim(posted, "--channel", "CH02", "--video", "012", "--run")
    assert "no published episode" in text.out
    assert posted.user_tree() == before


def test_nothing_is_released_while_the_share_is_a_stub(posted):
    posted.stub_share()
    before = posted.tree()
    result = reclaim(posted, "--run", expect=1)
    assert "the share is stub" in result.err and "nothing was changed" in result.err
    assert posted.tree() == before


def test_a_release_against_an_outbox_copy_is_refused(posted):
    """A plan file releasing a local file against its copy in the outbox (still this host's
    disk) is refused by the release operation itself, whatever the plan says."""
    import json

    outbox_copy = f"outbox/uploads/{NS}/audio_final/CH02/012/CH02-012.wav"
    posted.write(outbox_copy, (posted.root / WAV).read_bytes())
    plan = reclaim(posted, "--json").json()["plan"]
    [fix] = [f for f in plan if f["actions"][0]["path"]["rel"] == ws(WAV)]
    fix["actions"][0]["source"] = {"root": "outbox", "rel": outbox_copy.removeprefix("outbox/")}
    fix["preconditions"] = []
    saved = json.loads(posted.cli("store", "--src", WAV, "--json").out)["plan"]
    saved["fixes"] = [fix]
    path = posted.root / "plan.json"
    path.write_text(json.dumps(saved))
    local = sha(posted.root / WAV)
    result = posted.cli("apply", str(path), "--run", "--json")
    assert result.code == 1, result.out + result.err
    [res] = result.json()["results"]
    assert res["status"] == "failed"
    assert "not in the shared store on the share" in " ".join(res["reasons"])
    assert sha(posted.root / WAV) == local


# -- the stop threshold -----------------------------------------------------------------------


def above_free(factory) -> str:
    """--set disk.stop_free_gib=<more than this volume has free>."""
    free = shutil.disk_usage(factory.root).free / GIB
    return f"disk.stop_free_gib={free + 50:.0f}"


def test_below_stop_a_store_into_the_outbox_is_refused_but_reclaim_runs(posted):
    posted.write("ws/audio/final/CH02/012/CH02-012.txt", "notes")
    posted.stub_share()
    before = posted.user_tree()
    stop = above_free(posted)
    result = posted.cli(
        "store", "--src", "ws/audio/final/CH02/012/CH02-012.txt", "--run", "--set", stop
    )
    assert result.code == 1, result.out + result.err
    lines = [line for line in result.out.splitlines() if "disk.stop_free_gib" in line]
    assert lines and "GiB free" in lines[0] and "the volume" in lines[0]
    assert "ytm-doctor reclaim" in lines[0]
    assert posted.user_tree() == before
    assert not (posted.root / "outbox" / "uploads").exists()
    dry = posted.cli("store", "--src", "ws/audio/final/CH02/012/CH02-012.txt", "--set", stop)
    assert dry.code == 0 and "would be refused" in dry.out and "disk.stop_free_gib" in dry.out

    (posted.root / "share" / "README_MOUNTPOINT.txt").unlink()  # the share is back
    run = reclaim(posted, "--run", "--json", "--set", stop)
    assert [r["status"] for r in run.json()["results"]] == ["applied", "applied"]
    assert not os.path.lexists(posted.root / WAV)
    undo = posted.cli("undo", run.json()["run_id"], "--run", "--set", stop)
    assert undo.code == 1 and "disk.stop_free_gib" in undo.out  # copying back adds bytes
    assert not os.path.lexists(posted.root / WAV)


def test_below_stop_a_materialize_copy_is_refused(factory):
    factory.write("share/asset_vault/bgm/a.mp3", b"song" * 1000)
    factory.link("ws/video/input/CH01/bgm", factory.share / "asset_vault" / "bgm")
    before = factory.user_tree()
    stop = above_free(factory)
    dry = factory.cli("fix", "--select", "YTM403", "--set", stop)
    assert dry.code == 0, dry.out + dry.err
    result = factory.cli("fix", "--select", "YTM403", "--run", "--json", "--set", stop)
    assert result.code == 1, result.out + result.err
    [res] = result.json()["results"]
    assert res["status"] == "refused"
    assert any("disk.stop_free_gib" in r and "reclaim" in r for r in res["reasons"])
    assert factory.user_tree() == before
    assert factory.cli("fix", "--select", "YTM403", "--run").code == 0  # room again


# -- the checks -------------------------------------------------------------------------------


def test_ytm502_names_each_episode_with_space_to_free(posted):
    result = posted.cli("--select", "YTM502", "--json", "--no-save")
    assert result.code == 0, result.err
    [finding] = result.json()["findings"]
    assert finding["rule"] == "YTM502" and finding["severity"] == "info"
    assert finding["episode"] == "CH02-012"
    wav = (posted.root / WAV).stat().st_size + (posted.root / SRT).stat().st_size
    assert finding["details"]["reclaimable_bytes"] == wav
    assert "ytm-doctor reclaim --channel CH02 --video 012" in finding["message"]

    low = f"disk.warn_free_gib={shutil.disk_usage(posted.root).free / GIB + 50:.0f}"
    result = posted.cli("--select", "YTM50", "--json", "--no-save", "--set", low)
    assert result.code == 0, result.err
    by_rule = {f["rule"]: f for f in result.json()["findings"]}
    assert by_rule["YTM502"]["severity"] == "warning"
    assert by_rule["YTM501"]["details"]["reclaimable_bytes"] == wav
    assert "`ytm-doctor reclaim` can free" in by_rule["YTM501"]["message"]

    reclaim(posted, "--run")
    result = posted.cli("--select", "YTM502", "--json", "--no-save")
    assert result.json()["findings"] == []
