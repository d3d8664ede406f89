"""Adopting the tool on a running factory: what the old store scripts put in the shared store is
verified like the tool's own (YTM702) and counts as stored (YTM705); a manifest nobody can read
is one warning; a file already at its destination with the same SHA-256 counts as stored and
the store only writes its manifest. Real trees, real scans, the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

NS = "factory_commentary"
SHARED = f"share/uploads/{NS}"
WAV = "ws/audio/final/CH01/002/CH01-002.wav"
SRT = "ws/audio/final/CH01/002/CH01-002.srt"
SCRIPT = "ws/scripts/CH01/002/content/assembled_human.md"
STORED_WAV = "audio_final/CH01/002/CH01-002.wav"
STORED_SRT = "audio_final/CH01/002/CH01-002.srt"
# Where the old scripts ran: the repo and the share as the Mac mounted them.
MAC_REPO = "/Users/dd/repos/youtube_production2"
MAC_SHARE = "/Users/dd/mounts/lenovo_share_real"
OLD_TIME = "2026-01-26T07:12:00Z"
OLD_EPOCH = 1769411520  # OLD_TIME


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Factory:
    def __init__(self, world, cli) -> None:
        self.world, self.cli, self.root = world, cli, world.root
        self.base = world.root / SHARED

    def write(self, rel: str, data: bytes | str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def scan(self, select: str, *args: str) -> list[dict]:
        result = self.cli("--select", select, "--json", "--no-save", *args)
        assert result.code in (0, 1), result.out + result.err
        assert not result.json()["errors"], result.json()["errors"]
        return result.json()["findings"]

    def stored_by_old_script(self, local: str, stored: str) -> Path:
        """What shared_storage_sync.py left: the copy, and its manifest under
        manifests/shared_sync/ naming both ends by absolute path through the Mac's mount."""
        data = (self.root / local).read_bytes()
        copy = self.write(f"{SHARED}/{stored}", data)
        os.utime(copy, (OLD_EPOCH - 5, OLD_EPOCH - 5))  # copied just before the manifest
        manifest = {
            "schema_version": 1,
            "created_at": OLD_TIME,
            "kind": "shared_storage_sync",
            "sync_kind": "audio_final",
            "repo": {"root": MAC_REPO, "name": NS},
            "shared": {
                "root": MAC_SHARE,
                "namespace": NS,
                "base": f"{MAC_SHARE}/uploads/{NS}",
            },
            "host": {"hostname": "dd-mac.local"},
            "artifact": {
                "src": f"{MAC_REPO}/workspaces/{local.removeprefix('ws/')}",
                "dest": f"{MAC_SHARE}/uploads/{NS}/{stored}",
                "sha256": sha(data),
                "size_bytes": len(data),
            },
        }
        name = f"20260126T071200Z__audio_final__{sha(data)[:12]}.json"
        self.write(f"{SHARED}/manifests/shared_sync/{name}", json.dumps(manifest, indent=2))
        return copy


@pytest.fixture
def factory(world, cli) -> Factory:
    """CH01-002 published, with its script and final audio in the Hot workspace."""
    f = Factory(world, cli)
    f.write("share/ytm_workspaces/planning/channels/CH01.csv", "動画番号,進捗\n2,投稿済み\n")
    f.write("ws/scripts/CH01/002/status.json", "{}")
    f.write(SCRIPT, "# 70代から始める断捨離のコツ\n")
    f.write(WAV, b"RIFF" + os.urandom(80_000))
    f.write(SRT, "1\n00:00:00,000 --> 00:00:01,000\nこんにちは\n")
    return f


def by_rule(findings: list[dict], rule: str) -> list[dict]:
    return [x for x in findings if x["rule"] == rule]


def unstored(findings: list[dict]) -> list[str]:
    return sorted(a["dest"] for x in by_rule(findings, "YTM705") for a in x["details"]["artifacts"])


# -- old manifests are verified and count as stored ---------------------------------------------


def test_an_intact_old_manifest_verifies_and_counts_as_stored(factory):
    factory.stored_by_old_script(WAV, STORED_WAV)
    findings = factory.scan("YTM702,YTM705", "--set", "store.full_verify=true")
    assert by_rule(findings, "YTM702") == []
    assert STORED_WAV not in unstored(findings)
    assert unstored(findings) == [STORED_SRT, "scripts/CH01/002/assembled_human.md"]


def test_a_tampered_file_of_an_old_manifest_is_a_violation_and_the_fix_restores_it(factory):
    copy = factory.stored_by_old_script(WAV, STORED_WAV)
    good = copy.read_bytes()
    copy.write_bytes(good[:-4] + b"XXXX")  # same size, other bytes, modified now
    [finding] = factory.scan("YTM702")
    assert finding["severity"] == "violation"
    assert finding["path"] == f"uploads/{NS}/{STORED_WAV}"
    assert finding["details"]["problem"] == "sha256"
    assert finding["details"]["manifest"].startswith("manifests/shared_sync/")
    assert finding["episode"] == "CH01-002"
    # The old manifest's source path is mapped to the workspace: the fix stores it again.
    assert finding["details"]["source"]["root"] == "workspace"
    assert finding["details"]["source"]["path"] == WAV.removeprefix("ws/")
    result = factory.cli("fix", "--select", "YTM702", "--run")
    assert result.code == 0, result.out + result.err
    assert copy.read_bytes() == good
    [aside] = [p for p in copy.parent.iterdir() if ".corrupt_" in p.name]
    assert aside.read_bytes().endswith(b"XXXX")  # the damaged copy is kept
    assert factory.scan("YTM702") == []


def test_old_copies_are_hashed_only_when_modified_after_their_manifest(factory):
    copy = factory.stored_by_old_script(WAV, STORED_WAV)
    data = copy.read_bytes()
    copy.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    os.utime(copy, (OLD_EPOCH - 5, OLD_EPOCH - 5))  # bit rot that kept the mtime
    assert factory.scan("YTM702") == []  # as with the tool's own manifests: size and mtime
    [finding] = factory.scan("YTM702", "--set", "store.full_verify=true")
    assert finding["details"]["problem"] == "sha256"


def test_an_old_list_manifest_with_relative_paths_and_sizes_only(factory):
    wav, srt = (factory.root / WAV).read_bytes(), (factory.root / SRT).read_bytes()
    factory.write(f"{SHARED}/{STORED_WAV}", wav)
    factory.write(f"{SHARED}/{STORED_SRT}", srt)
    manifest = {
        "created_at": OLD_TIME,
        "episode": "CH01-002",
        "files": [
            {"path": STORED_WAV, "size": len(wav)},
            {"path": STORED_SRT, "size": len(srt), "sha256": "sha256:" + sha(srt)},
        ],
    }
    factory.write(f"{SHARED}/manifests/audio_final/old__CH01-002.json", json.dumps(manifest))
    findings = factory.scan("YTM702,YTM705")
    assert by_rule(findings, "YTM702") == []
    assert unstored(findings) == ["scripts/CH01/002/assembled_human.md"]
    (factory.base / STORED_WAV).write_bytes(wav[:100])  # truncated
    [finding] = by_rule(factory.scan("YTM702"), "YTM702")
    assert finding["details"]["problem"] == "size"
    assert finding["details"]["expected_size"] == len(wav)


# -- a manifest that cannot be read -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"schema": "ytm.shared_store_manifest.v1", "entries": [{"path": "audio_fi',  # cut off
        json.dumps({"files": [{"path": STORED_WAV}, {"path": STORED_SRT}, {"path": "x/y"}]}),
        json.dumps({"note": "exported by another tool"}),
    ],
)
def test_an_unreadable_manifest_is_exactly_one_warning(factory, text):
    factory.write(f"{SHARED}/manifests/audio_final/20260126T071200Z__CH01-002.json", text)
    findings = by_rule(factory.scan("YTM702"), "YTM702")
    assert len(findings) == 1, findings
    [finding] = findings
    assert finding["severity"] == "warning"
    assert "cannot be read" in finding["message"]
    result = factory.cli("--select", "YTM702", "--no-save", "-q")
    assert result.code == 0, result.out + result.err  # a warning does not fail the scan


# -- a hash-identical destination without a manifest -------------------------------------------


def test_a_hash_identical_destination_counts_as_stored_and_store_writes_only_manifests(factory):
    for local, stored in (
        (WAV, STORED_WAV),
        (SRT, STORED_SRT),
        (SCRIPT, "scripts/CH01/002/assembled_human.md"),
    ):
        factory.write(f"{SHARED}/{stored}", (factory.root / local).read_bytes())
    before = {p: os.stat(p) for p in factory.base.rglob("*") if p.is_file()}
    assert unstored(factory.scan("YTM705")) == []

    plan = factory.cli("store", "episode", "--channel", "CH01", "--video", "002", "--json")
    assert plan.code == 0, plan.out + plan.err
    ops = [a["op"] for fix in plan.json()["plan"]["fixes"] for a in fix["actions"]]
    assert ops == ["store_manifest", "store_manifest"]  # scripts and audio_final: no copy

    run = factory.cli("store", "episode", "--channel", "CH01", "--video", "002", "--run")
    assert run.code == 0, run.out + run.err
    for path, st in before.items():  # the very same files, never rewritten
        now = os.stat(path)
        assert (now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns), path
    [audio] = [
        json.loads(p.read_text()) for p in (factory.base / "manifests/audio_final").glob("*.json")
    ]
    assert {e["path"]: e["sha256"] for e in audio["entries"]} == {
        STORED_WAV: sha((factory.root / WAV).read_bytes()),
        STORED_SRT: sha((factory.root / SRT).read_bytes()),
    }
    assert factory.scan("YTM702,YTM705", "--set", "store.full_verify=true") == []


def test_a_destination_with_other_bytes_is_not_stored(factory):
    factory.write(f"{SHARED}/{STORED_WAV}", b"RIFF" + os.urandom(80_000))
    assert STORED_WAV in unstored(factory.scan("YTM705"))
