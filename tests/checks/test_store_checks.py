"""YTM701 outbox-pending, YTM702 store-integrity, YTM705 l1-not-stored: real scans of real
temporary trees, and the fixes that bring the share up to date (`fix --select YTM7 --run`)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

NS = "factory_commentary"
SHARED = f"share/uploads/{NS}"
STORE_RULES = "YTM701,YTM702,YTM705"
WAV = "ws/audio/final/CH01/002/CH01-002.wav"
SCRIPT = "ws/scripts/CH01/002/content/assembled_human.md"
RUN = "CH01-002__20251218T140000Z"
MP4 = f"ws/video/runs/{RUN}/remotion/output/final.mp4"
THUMB = "ws/thumbnails/assets/CH01/002/v2/thumb.png"


class Store:
    def __init__(self, world, cli) -> None:
        self.world, self.cli, self.root = world, cli, world.root

    def write(self, rel: str, data: bytes | str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def scan(self, select: str = STORE_RULES, *args: str) -> list[dict]:
        result = self.cli("--select", select, "--json", "--no-save", *args)
        assert result.code in (0, 1), result.err
        assert not result.json()["errors"], result.json()["errors"]
        return result.json()["findings"]

    def store(self, *args: str) -> str:
        result = self.cli("store", *args)
        assert result.code == 0, result.out + result.err
        return result.out

    def stub(self) -> None:
        self.write("share/README_MOUNTPOINT.txt", "not mounted")

    def unstub(self) -> None:
        os.unlink(self.root / "share/README_MOUNTPOINT.txt")


@pytest.fixture
def store(world, cli) -> Store:
    """CH01-002 published (its L1: script, audio, the adopted run's mp4, the selected
    thumbnail), CH01-003 still Hot with a script."""
    s = Store(world, cli)
    world.configure(disk={"warn_free_gib": 0, "stop_free_gib": 0})
    s.write(
        "share/ytm_workspaces/planning/channels/CH01.csv",
        "動画番号,進捗\n2,投稿済み\n3,台本作成中\n",
    )
    s.write("ws/scripts/CH01/002/status.json", json.dumps({"metadata": {"video_run_id": RUN}}))
    s.write(SCRIPT, "# 70代から始める断捨離のコツ\n")
    s.write(WAV, b"RIFF" + os.urandom(100_000))
    s.write(MP4, b"\0\0\0\x18ftypisom" + os.urandom(50_000))
    s.write(THUMB, b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    s.write("ws/thumbnails/assets/CH01/002/v1/thumb.png", b"\x89PNG\r\n\x1a\nold")
    projects = {
        "projects": [
            {
                "channel": "CH01",
                "video": "002",
                "selected_variant_id": "v2",
                "variants": [
                    {"id": "v1", "image_path": "CH01/002/v1/thumb.png"},
                    {"id": "v2", "image_path": "CH01/002/v2/thumb.png"},
                ],
            }
        ]
    }
    s.write("ws/thumbnails/projects.json", json.dumps(projects))
    s.write("ws/scripts/CH01/003/content/assembled_human.md", "# hot\n")
    return s


def by_rule(findings: list[dict], rule: str) -> list[dict]:
    return [f for f in findings if f["rule"] == rule]


# -- YTM705 ------------------------------------------------------------------------------------


def test_a_published_episodes_unstored_l1_is_reported_once_with_what_to_store(store):
    [finding] = store.scan("YTM705")
    assert finding["severity"] == "warning"
    assert (finding["episode"], finding["root"], finding["path"]) == (
        "CH01-002",
        "workspace",
        "scripts/CH01/002",
    )
    artifacts = {a["kind"]: a for a in finding["details"]["artifacts"]}
    assert sorted(artifacts) == ["audio_final", "remotion_mp4", "scripts", "thumbnails"]
    assert artifacts["remotion_mp4"]["dest"] == f"remotion_mp4/CH01/002/{RUN}.mp4"
    assert artifacts["thumbnails"]["dest"] == "thumbnails/CH01/002/v2/thumb.png"  # selected
    assert finding["fix"]["fixer"] == "store"
    assert "--include-remotion" in finding["details"]["store_command"]


def test_the_store_fixer_stores_them_and_the_rescan_is_clean(store):
    result = store.cli("fix", "--select", "YTM705", "--run")
    assert result.code == 0, result.out + result.err
    base = store.root / SHARED
    for src, dest in (
        (SCRIPT, "scripts/CH01/002/assembled_human.md"),
        (WAV, "audio_final/CH01/002/CH01-002.wav"),
        (MP4, f"remotion_mp4/CH01/002/{RUN}.mp4"),
        (THUMB, "thumbnails/CH01/002/v2/thumb.png"),
    ):
        assert (base / dest).read_bytes() == (store.root / src).read_bytes()
    assert (store.root / WAV).is_file() and not (store.root / WAV).is_symlink()  # kept
    assert store.scan() == []


def test_store_episode_by_hand_also_satisfies_it(store):
    store.store("episode", "--channel", "CH01", "--video", "002", "--include-remotion", "--run")
    assert store.scan("YTM705") == []


def test_only_published_episodes_and_only_while_the_store_is_readable(store):
    store.write("ws/scripts/CH01/003/status.json", "{}")
    assert [f["episode"] for f in store.scan("YTM705")] == ["CH01-002"]
    store.stub()
    assert store.scan() == []  # YTM101 says the share is down; nothing to judge
    store.unstub()
    os.rmdir(store.root / SHARED)
    assert by_rule(store.scan(), "YTM705") == []  # degraded: YTM102's finding


# -- YTM701 ------------------------------------------------------------------------------------


def test_what_waits_in_the_outbox_is_ytm701_not_ytm705(store):
    store.stub()
    store.store("--src", WAV, "--run")
    assert store.scan() == []  # still down: the outbox is where store writes now
    store.unstub()
    findings = store.scan()
    [pending] = by_rule(findings, "YTM701")
    assert pending["root"] == "outbox" and pending["episode"] == "CH01-002"
    assert pending["details"]["entries"][0]["path"] == "audio_final/CH01/002/CH01-002.wav"
    assert pending["fix"]["fixer"] == "flush-outbox"
    [l1] = by_rule(findings, "YTM705")
    assert "CH01-002.wav" not in l1["message"]


def test_a_degraded_share_keeps_the_outbox_pending_and_says_why(store):
    store.stub()
    store.store("--src", WAV, "--run")
    store.unstub()
    os.rmdir(store.root / SHARED)
    [pending] = store.scan("YTM701")
    assert pending["fix"] is None
    assert "uploads/factory_commentary/ is missing" in pending["details"]["waits_for"]


def test_the_outbox_is_read_through_its_manifests_not_walked(store, monkeypatch):
    """A derived outbox also holds the local fallback copy of the Vault: no scan walks it."""
    store.stub()
    store.store("--src", WAV, "--run")
    store.unstub()
    store.write("outbox/ytm_workspaces/video/runs/r/a.png", b"x")  # the fallback Vault copy
    result = store.cli("--select", "YTM701", "--json", "--no-save")
    walks = result.json()["config"]["walks"]
    assert "outbox" not in walks  # YTM701 alone: no walk of the outbox at all
    [pending] = by_rule(result.json()["findings"], "YTM701")
    assert pending["path"].startswith(f"uploads/{NS}/manifests/audio_final/")


# -- YTM702 ------------------------------------------------------------------------------------


@pytest.fixture
def stored(store) -> Store:
    store.store("episode", "--channel", "CH01", "--video", "002", "--include-remotion", "--run")
    assert store.scan() == []
    return store


def test_a_corrupted_shared_copy_is_a_violation_and_the_fixer_restores_it(stored):
    copy = stored.root / SHARED / "audio_final/CH01/002/CH01-002.wav"
    good = copy.read_bytes()
    copy.write_bytes(good[:-10] + b"0123456789")  # same size, new mtime
    [finding] = stored.scan()
    assert (finding["rule"], finding["severity"]) == ("YTM702", "violation")
    assert finding["details"]["problem"] == "sha256"
    assert finding["details"]["expected_sha256"] == hashlib.sha256(good).hexdigest()
    assert finding["fix"]["fixer"] == "store"
    result = stored.cli("fix", "--select", "YTM702", "--run")
    assert result.code == 0, result.out + result.err
    assert copy.read_bytes() == good
    [kept] = [p for p in copy.parent.iterdir() if ".corrupt_" in p.name]
    assert kept.read_bytes() != good  # the damaged copy is kept for a look, not deleted
    assert stored.scan() == []


def test_missing_and_truncated_are_reported_too(stored):
    (stored.root / SHARED / f"remotion_mp4/CH01/002/{RUN}.mp4").unlink()
    thumb = stored.root / SHARED / "thumbnails/CH01/002/v2/thumb.png"
    thumb.write_bytes(thumb.read_bytes()[:5])
    [manifest] = (stored.root / SHARED / "manifests/scripts").glob("*.json")
    manifest.write_text(manifest.read_text()[:40])
    found = {f["details"]["problem"]: f for f in stored.scan("YTM702")}
    assert found["missing"]["path"] == f"uploads/{NS}/remotion_mp4/CH01/002/{RUN}.mp4"
    assert found["size"]["details"]["actual"]["size"] == 5
    bad = [f for f in found.values() if f["path"].endswith(".json")]
    assert len(bad) == 1 and "invalid JSON" in bad[0]["message"] and bad[0]["fix"] is None


def test_unchanged_files_are_not_hashed_unless_full_verify(stored, monkeypatch):
    """Silent damage that keeps size and mtime is found only by the full verification the
    policy key turns on; otherwise only changed files are read."""
    import ytm_doctor.checks.store as checks

    copy = stored.root / SHARED / "audio_final/CH01/002/CH01-002.wav"
    st = copy.stat()
    data = bytearray(copy.read_bytes())
    data[100] ^= 0xFF
    copy.write_bytes(bytes(data))
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
    hashed: list[str] = []
    real = checks.sha256_of
    monkeypatch.setattr(checks, "sha256_of", lambda p: hashed.append(p) or real(p))
    assert stored.scan("YTM702") == []
    assert hashed == []
    [finding] = stored.scan("YTM702", "--set", "store.full_verify=true")
    assert finding["details"]["problem"] == "sha256"
    assert len(hashed) == 4  # every stored file, once


def test_a_released_source_cannot_restore_a_damaged_copy(stored):
    wav = stored.root / WAV
    stored.store("--src", WAV, "--symlink-back", "--run")
    assert wav.is_symlink()
    copy = stored.root / SHARED / "audio_final/CH01/002/CH01-002.wav"
    copy.write_bytes(b"RIFF" + b"\0" * 10)
    [finding] = stored.scan("YTM702")
    assert finding["fix"] is None and "symlink" in finding["details"]["unfixable"]


# -- all together ------------------------------------------------------------------------------


def test_fix_ytm7_run_brings_the_share_up_to_date(store):
    store.stub()
    store.store("--src", WAV, "--run")  # waits in the outbox
    store.unstub()
    store.store("--src", SCRIPT, "--run")  # on the share, then damaged
    copy = store.root / SHARED / "scripts/CH01/002/assembled_human.md"
    copy.write_text("garbage that was never the script\n")
    rules = sorted({f["rule"] for f in store.scan()})
    assert rules == ["YTM701", "YTM702", "YTM705"]
    result = store.cli("fix", "--select", "YTM7", "--run")
    assert result.code == 0, result.out + result.err
    assert store.scan() == []
    assert copy.read_bytes() == (store.root / SCRIPT).read_bytes()
    outbox = store.root / "outbox"
    assert not [n for _, _, names in os.walk(outbox) for n in names]
