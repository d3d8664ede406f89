"""What people already type, kept working: `store sync` (the old store script's name for storing
one file), `store episode --skip-audio` (store an episode without its final audio), and a file
already at its store destination with the same SHA-256 (put there by the old scripts) that only
needs its manifest. Real trees, the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

NS = "factory_commentary"
BASE = f"share/uploads/{NS}"
SCRIPT = "ws/scripts/CH02/012/content/assembled_human.md"
WAV = "ws/audio/final/CH02/012/CH02-012.wav"
SRT = "ws/audio/final/CH02/012/CH02-012.srt"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifests(root: Path, kind: str) -> list[dict]:
    folder = root / "manifests" / kind
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def episode(factory) -> None:
    factory.write(SCRIPT, "# 台本\n退職金の受け取り方\n")
    factory.write(WAV, b"RIFF" + os.urandom(200_000))
    factory.write(SRT, "1\n00:00:00,000 --> 00:00:01,000\nこんにちは\n")
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": True})


# -- store sync ---------------------------------------------------------------------------------


def test_store_sync_is_store(factory):
    episode(factory)
    plain = factory.cli("store", "--src", SCRIPT, "--json")
    alias = factory.cli("store", "sync", "--src", SCRIPT, "--json")
    assert plain.code == alias.code == 0, alias.out + alias.err
    strip = lambda r: [a["op"] for f in r.json()["plan"]["fixes"] for a in f["actions"]]  # noqa: E731
    assert strip(alias) == strip(plain) == ["store_copy", "store_manifest"]

    result = factory.cli("store", "sync", "--src", SCRIPT, "--run")
    assert result.code == 0, result.out + result.err
    stored = factory.root / BASE / "scripts/CH02/012/assembled_human.md"
    assert sha(stored) == sha(factory.root / SCRIPT)
    [record] = manifests(factory.root / BASE, "scripts")
    assert record["entries"][0]["sha256"] == sha(stored)


def test_store_sync_takes_the_same_flags_and_refuses_the_same_things(factory):
    episode(factory)
    missing = factory.cli("store", "sync")
    assert missing.code == 4 and "store needs --src PATH" in missing.err
    episode_flag = factory.cli("store", "sync", "--src", SCRIPT, "--include-remotion")
    assert episode_flag.code == 4 and "belongs to `store episode`" in episode_flag.err
    help_text = factory.cli("store", "--help")
    assert help_text.code == 0 and "sync" in help_text.out and "--skip-audio" in help_text.out


# -- store episode --skip-audio -----------------------------------------------------------------


def test_store_episode_skip_audio_stores_everything_but_the_final_audio(factory):
    episode(factory)
    dry = factory.cli("store", "episode", "--channel", "CH02", "--video", "012", "--skip-audio")
    assert dry.code == 0, dry.out + dry.err
    assert "final audio left out (--skip-audio)" in dry.out
    assert "audio_final" not in dry.out and "CH02-012.wav" not in dry.out

    result = factory.cli(
        "store", "episode", "--channel", "CH02", "--video", "012", "--skip-audio", "--run"
    )
    assert result.code == 0, result.out + result.err
    base = factory.root / BASE
    assert (base / "scripts/CH02/012/assembled_human.md").is_file()
    assert not (base / "audio_final").exists()
    assert not (base / "manifests/audio_final").exists()
    # The audio is still local, untouched.
    assert (factory.root / WAV).is_file() and not (factory.root / WAV).is_symlink()


def test_skip_audio_while_the_share_is_down_goes_to_the_outbox(factory):
    episode(factory)
    factory.stub_share()
    result = factory.cli(
        "store", "episode", "--channel", "CH02", "--video", "012", "--skip-audio", "--run"
    )
    assert result.code == 0, result.out + result.err
    outbox = factory.root / "outbox/uploads" / NS
    [record] = manifests(outbox, "scripts")
    assert record["mode"] == "outbox"
    assert not (outbox / "audio_final").exists()


def test_skip_audio_belongs_to_store_episode(factory):
    episode(factory)
    for argv in (("--src", SCRIPT, "--skip-audio"), ("flush-outbox", "--skip-audio")):
        result = factory.cli("store", *argv)
        assert result.code == 4, result.out + result.err
        assert "--skip-audio" in result.err and "Traceback" not in result.err
