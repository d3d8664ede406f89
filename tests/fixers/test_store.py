"""`ytm-doctor store` (SPEC §6.2, seed 000): verified copies into the shared store with their
manifests, the destructive modes and their guards, an interrupted copy, and undo; on real
temporary trees, a real subprocess killed with SIGKILL, real symlinks."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ytm_doctor.store.copy import TEMP_MARK

NS = "factory_commentary"
BASE = f"share/uploads/{NS}"
SCRIPT = "ws/scripts/CH02/012/content/assembled_human.md"
WAV = "ws/audio/final/CH02/012/CH02-012.wav"
SRT = "ws/audio/final/CH02/012/CH02-012.srt"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifests(root: Path, kind: str) -> list[dict]:
    folder = root / "manifests" / kind
    if not folder.is_dir():
        return []
    records = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    return sorted(records, key=lambda r: r["created_at"])  # to the microsecond: oldest first


@pytest.fixture
def episode(factory):
    """CH02-012 with a script and final audio; published unless a test says otherwise."""
    factory.write(SCRIPT, "# 台本\n退職金の受け取り方\n")
    factory.write(WAV, b"RIFF" + os.urandom(300_000))
    factory.write(SRT, "1\n00:00:00,000 --> 00:00:01,000\nこんにちは\n")
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": True})
    return factory


def unpost(factory) -> None:
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": False})


def store(factory, *args: str, expect: int = 0):
    result = factory.cli("store", *args)
    assert result.code == expect, result.out + result.err
    return result


# -- the copy and its manifest ----------------------------------------------------------------


def test_store_copies_verified_and_the_manifest_records_the_files_hash(episode):
    result = store(episode, "--src", SCRIPT, "--run")
    assert "the shared store share:uploads/factory_commentary/" in result.out
    stored = episode.root / BASE / "scripts/CH02/012/assembled_human.md"
    assert stored.read_bytes() == (episode.root / SCRIPT).read_bytes()
    [record] = manifests(episode.root / BASE, "scripts")
    [entry] = record["entries"]
    assert entry["sha256"] == sha(stored) == sha(episode.root / SCRIPT)
    assert entry["size"] == stored.stat().st_size > 0
    assert entry["path"] == "scripts/CH02/012/assembled_human.md"
    assert entry["source"]["root"] == "workspace"
    assert entry["source"]["path"] == "scripts/CH02/012/content/assembled_human.md"
    assert (record["mode"], record["kind"], record["id"]) == ("shared", "scripts", "CH02-012")
    assert record["host"] and record["created_at"].endswith("Z")
    # Seed 000 §0: no absolute path through the share mount anywhere in a manifest.
    text = next((episode.root / BASE / "manifests/scripts").glob("*.json")).read_text()
    assert str(episode.root) not in text
    # No temp file is left beside the copy.
    assert not [p for p in stored.parent.iterdir() if TEMP_MARK in p.name]


def test_dry_runs_change_nothing(episode):
    before = episode.tree()
    for args in (
        ("--src", SCRIPT),
        ("--src", WAV, "--json"),
        ("episode", "--channel", "CH02", "--video", "012"),
        ("episode", "--channel", "CH02", "--video", "012", "--symlink-back"),
        ("--src", WAV, "--move"),
    ):
        result = store(episode, *args)
        assert "store" in result.out or '"dry_run": true' in result.out
    assert episode.tree() == before
    plan = json.loads(episode.cli("store", "--src", WAV, "--json").out)
    assert plan["dry_run"] is True and plan["target"]["mode"] == "shared"
    ops = [a["op"] for a in plan["plan"]["fixes"][0]["actions"]]
    assert ops == ["store_copy", "store_manifest"]


def test_store_episode_stores_each_kind_with_its_own_manifest(episode):
    result = store(episode, "episode", "--channel", "CH02", "--video", "012", "--run")
    assert "2 applied" in result.out
    base = episode.root / BASE
    assert sha(base / "audio_final/CH02/012/CH02-012.wav") == sha(episode.root / WAV)
    assert sha(base / "audio_final/CH02/012/CH02-012.srt") == sha(episode.root / SRT)
    [audio] = manifests(base, "audio_final")
    assert sorted(e["path"] for e in audio["entries"]) == [
        "audio_final/CH02/012/CH02-012.srt",
        "audio_final/CH02/012/CH02-012.wav",
    ]
    for entry in audio["entries"]:
        assert entry["sha256"] == sha(base / entry["path"])
    assert len(manifests(base, "scripts")) == 1
    # Again: everything is recorded and unchanged, so there is nothing to do.
    before = episode.tree()
    again = store(episode, "episode", "--channel", "CH02", "--video", "012", "--run")
    assert "nothing to do" in again.out
    assert episode.tree() == before


def test_a_changed_source_is_stored_again_and_the_old_copy_kept_aside(episode):
    store(episode, "--src", SCRIPT, "--run")
    old = (episode.root / SCRIPT).read_bytes()
    episode.write(SCRIPT, "# 台本 v2\n")
    store(episode, "--src", SCRIPT, "--run")
    folder = episode.root / BASE / "scripts/CH02/012"
    assert (folder / "assembled_human.md").read_text() == "# 台本 v2\n"
    [aside] = [p for p in folder.iterdir() if ".superseded_" in p.name]
    assert aside.read_bytes() == old
    records = manifests(episode.root / BASE, "scripts")
    assert len(records) == 2
    assert records[-1]["entries"][0]["sha256"] == sha(folder / "assembled_human.md")


def test_undo_removes_the_copies_and_manifest(episode):
    before = episode.user_tree()
    result = store(episode, "episode", "--channel", "CH02", "--video", "012", "--run")
    run_id = result.out.split("run ", 1)[1].split(":", 1)[0]
    episode.undo(run_id)
    assert episode.user_tree() == before  # the dirs the store made are gone too


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "why"),
    [
        ("ws/video/runs/CH02-012__r1/images/0001.png", "is L2/L3"),
        ("ws/logs/render/remotion.log", "is L2/L3"),
        ("ws/notes/CH02-012.txt", "cannot tell its kind"),
    ],
)
def test_l2_l3_and_unknown_kinds_are_refused_in_one_line(episode, rel, why):
    episode.write(rel, b"x" * 10)
    before = episode.tree()
    result = store(episode, "--src", rel, "--run", expect=4)
    [line] = result.err_lines
    assert why in line and "Traceback" not in result.err
    assert episode.tree() == before


def test_bad_sources_are_one_line_each(episode):
    episode.write("ws/audio/final/CH02/012/empty.wav", b"")
    episode.link("ws/audio/final/CH02/012/linked.wav", "CH02-012.wav")
    for src, says in (
        ("ws/audio/final/CH02/012/missing.wav", "does not exist"),
        ("ws/audio/final/CH02/012/empty.wav", "is empty"),
        ("ws/audio/final/CH02/012/linked.wav", "is a symlink"),
        ("outside/keep.txt", "not inside a configured root"),
        (f"{BASE}", "already on the share"),
    ):
        result = store(episode, "--src", src, expect=4)
        assert len(result.err_lines) == 1 and says in result.err, (src, result.err)
    result = store(episode, "--src", WAV, "--kind", "remotion_mp4", expect=4)
    assert "--run-id" in result.err


# -- --symlink-back and --move -----------------------------------------------------------------


def test_symlink_back_leaves_a_working_link_and_the_bytes_on_the_share(episode):
    data = (episode.root / WAV).read_bytes()
    store(episode, "--src", WAV, "--symlink-back", "--run")
    local = episode.root / WAV
    stored = episode.root / BASE / "audio_final/CH02/012/CH02-012.wav"
    assert local.is_symlink()
    assert os.readlink(local) == str(stored)
    assert local.read_bytes() == data == stored.read_bytes()
    [record] = manifests(episode.root / BASE, "audio_final")
    assert record["entries"][0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_undo_of_move_brings_the_local_bytes_back(episode):
    data = (episode.root / WAV).read_bytes()
    before = episode.user_tree()
    result = store(episode, "--src", WAV, "--move", "--run")
    assert not os.path.lexists(episode.root / WAV)
    run_id = result.out.split("run ", 1)[1].split(":", 1)[0]
    episode.undo(run_id)
    assert (episode.root / WAV).read_bytes() == data
    assert episode.user_tree() == before


def test_symlink_back_of_an_already_stored_file_only_releases_it(episode):
    store(episode, "--src", WAV, "--run")
    plan = json.loads(episode.cli("store", "--src", WAV, "--symlink-back", "--json").out)
    [fix] = plan["plan"]["fixes"]
    assert [a["op"] for a in fix["actions"]] == ["release"]
    store(episode, "--src", WAV, "--symlink-back", "--run")
    assert (episode.root / WAV).is_symlink()


def test_destructive_modes_are_refused_while_the_share_is_a_stub(episode):
    episode.stub_share()
    before = episode.tree()
    for flag in ("--symlink-back", "--move"):
        for run in ((), ("--run",)):
            result = store(episode, "--src", WAV, flag, *run, expect=1)
            assert "refused" in result.err and "the share is stub" in result.err
            assert "nothing was changed" in result.err
    assert episode.tree() == before


def test_destructive_modes_are_refused_for_unposted_episodes_without_override(episode):
    unpost(episode)
    before = episode.user_tree()
    result = store(episode, "--src", WAV, "--symlink-back", "--run", expect=1)
    assert "unposted (hot)" in result.out and "--allow-unposted" in result.out
    assert episode.user_tree() == before  # the whole unit is refused: no copy either
    dry = store(episode, "--src", WAV, "--symlink-back")
    assert "would be refused" in dry.out

    result = store(episode, "--src", WAV, "--symlink-back", "--allow-unposted", "--run", expect=4)
    assert "needs --reason" in result.err
    assert episode.user_tree() == before

    store(episode, "--src", WAV, "--symlink-back", "--run", "--allow-unposted", "--reason", "ssd")
    assert (episode.root / WAV).is_symlink()
    audit = (episode.report_dir / "audit.jsonl").read_text().splitlines()
    record = json.loads(audit[-1])
    assert record["override"] == "--allow-unposted" and record["reason"] == "ssd"
    assert record["command"] == "store"


def test_emergency_override_env_needs_a_reason_too(episode, monkeypatch):
    unpost(episode)
    monkeypatch.setenv("YTM_EMERGENCY_OVERRIDE", "1")
    store(episode, "--src", WAV, "--move", "--run", expect=4)
    store(episode, "--src", WAV, "--move", "--run", "--reason", "disk full")
    assert not os.path.lexists(episode.root / WAV)


def test_release_refuses_when_the_stored_copy_no_longer_verifies(episode):
    """The precondition of a release re-reads the stored copy right before the local bytes
    go: a copy damaged after verification keeps the local file."""
    from ytm_doctor.context import Context
    from ytm_doctor.fix.executor import Executor
    from ytm_doctor.fix.journal import Journal
    from ytm_doctor.fix.operation import OperationRegistry
    from ytm_doctor.fix.plan import Action, Fix, PathRef

    store(episode, "--src", WAV, "--run")
    stored = episode.root / BASE / "audio_final/CH02/012/CH02-012.wav"
    good = sha(stored)
    stored.write_bytes(b"RIFF damaged")
    config = _config(episode)
    ctx = Context(config)
    journal = Journal(ctx.paths.report_dir, "test-release", {"command": "test"})
    local = PathRef("workspace", WAV[3:])
    source = PathRef("share", f"uploads/{NS}/audio_final/CH02/012/CH02-012.wav")
    action = Action("release", local, source=source, sha256=good)
    fix = Fix("store", "t", "release", [action], channel="CH02", video="012")
    result = Executor(ctx, OperationRegistry.builtin(), journal=journal).apply(1, fix)
    assert result.status == "failed", result.reasons
    assert "the local file is kept" in " ".join(result.reasons)
    assert not (episode.root / WAV).is_symlink() and sha(episode.root / WAV) == good


def _config(factory):
    import argparse

    from ytm_doctor.config import load_config

    return load_config(argparse.Namespace(config=str(factory.world.config_file)), environ={})


# -- an interrupted copy -----------------------------------------------------------------------


def _big_file(path: Path, size: int) -> str:
    """A sparse file of `size` bytes with random bytes at both ends; returns its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head, tail = os.urandom(1 << 20), os.urandom(1 << 20)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.seek(size - len(tail))
        fh.write(tail)
    digest = hashlib.sha256(head)
    zeros = bytes(1 << 20)
    left = size - len(head) - len(tail)
    while left:
        n = min(left, len(zeros))
        digest.update(zeros[:n])
        left -= n
    digest.update(tail)
    return digest.hexdigest()


def test_a_copy_killed_mid_way_leaves_no_final_file_and_a_rerun_completes(episode):
    video = "ws/video/runs/CH02-012__r1/remotion/output/final.mp4"
    digest = _big_file(episode.root / video, 200 * 1024 * 1024)
    dest = episode.root / BASE / "remotion_mp4/CH02/012/CH02-012__r1.mp4"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ytm_doctor.cli", "store", "--src", video, "--run"],
        cwd=episode.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    temps: list[Path] = []
    deadline = time.monotonic() + 60
    while not temps and proc.poll() is None and time.monotonic() < deadline:
        if dest.parent.is_dir():
            temps = [p for p in dest.parent.iterdir() if TEMP_MARK in p.name]
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    output = proc.communicate()[0].decode(errors="replace")
    assert temps, f"the copy finished before it could be killed: {output}"
    assert proc.returncode == -signal.SIGKILL
    assert not os.path.lexists(dest)  # nothing under the final name
    assert not manifests(episode.root / BASE, "remotion_mp4")

    result = store(episode, "--src", video, "--run")
    assert "1 applied" in result.out
    assert sha(dest) == digest
    [record] = manifests(episode.root / BASE, "remotion_mp4")
    assert record["entries"][0]["sha256"] == digest
    # The killed process's temp file is gone too (its pid is dead).
    assert not [p for p in dest.parent.iterdir() if TEMP_MARK in p.name]


# -- the verified copy itself ------------------------------------------------------------------


def test_a_copy_that_does_not_read_back_as_written_never_takes_its_name(tmp_path, monkeypatch):
    from ytm_doctor.store import copy as storecopy

    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(20_000))
    dest = tmp_path / "out" / "dest.bin"
    dest.parent.mkdir()
    real = storecopy._write_all
    calls = []

    def flip_a_bit_of_the_second_chunk(fd, data):
        calls.append(len(data))
        if len(calls) == 2:
            data = bytes([data[0] ^ 1]) + bytes(data[1:])
        real(fd, data)

    monkeypatch.setattr(storecopy, "_write_all", flip_a_bit_of_the_second_chunk)
    with pytest.raises(storecopy.CopyError, match="reads back differently"):
        storecopy.copy_verified(str(src), str(dest), chunk=4096)
    assert list(dest.parent.iterdir()) == []  # no final name, no temp file
    monkeypatch.setattr(storecopy, "_write_all", real)
    copied = storecopy.copy_verified(str(src), str(dest), chunk=4096)
    assert copied.sha256 == sha(src) == sha(dest)
    assert dest.stat().st_mtime_ns == src.stat().st_mtime_ns  # the source's time is kept


def test_only_temp_files_of_dead_processes_of_this_host_are_cleaned(tmp_path):
    from ytm_doctor.store import copy as storecopy

    src = tmp_path / "src.bin"
    src.write_bytes(b"final cut")
    dest = tmp_path / "dest.bin"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    host = storecopy.host_tag()
    dead = tmp_path / f".dest.bin{TEMP_MARK}{host}-{gone.stdout.strip()}-aaaaaa"
    alive = tmp_path / f".dest.bin{TEMP_MARK}{host}-{os.getppid()}-bbbbbb"
    other = tmp_path / f".dest.bin{TEMP_MARK}gateway-{gone.stdout.strip()}-cccccc"
    for p in (dead, alive, other):
        p.write_bytes(b"half")
    storecopy.copy_verified(str(src), str(dest))
    assert not dead.exists() and alive.exists() and other.exists()
    assert dest.read_bytes() == b"final cut"


# -- the store fixer through saved plans (SPEC §6.1) -------------------------------------------


def test_a_saved_store_plan_applies_and_refuses_when_stale_or_escaping(episode):
    plan = episode.save_plan("YTM705")
    before = episode.user_tree()
    result = episode.apply(plan, "--json")
    assert result.code == 0, result.out + result.err
    assert {r["status"] for r in result.json()["results"]} == {"applied"}
    stored = episode.root / BASE / "audio_final/CH02/012/CH02-012.wav"
    assert sha(stored) == sha(episode.root / WAV)
    episode.undo(result.json()["run_id"])
    assert episode.user_tree() == before

    def edit_script_and_audio() -> None:
        episode.write(SCRIPT, "# 台本 (edited after the plan)\n")
        episode.write(WAV, b"RIFF" + os.urandom(300_000))

    episode.assert_stale_refused("YTM705", edit_script_and_audio)
    (episode.root / SCRIPT).unlink()  # one fix left (the audio): the helper tampers with it
    episode.assert_plan_escapes_refused("YTM705")


@pytest.mark.parametrize("bad_write", [1, 3, 6])  # the first, a middle and the last chunk
def test_a_difference_in_any_chunk_refuses_the_copy(tmp_path, monkeypatch, bad_write):
    """The re-read is compared with what was written, chunk by chunk, while the next chunks are
    copied: a bit flipped in any of them, the last one included, is caught."""
    from ytm_doctor.store import copy as storecopy

    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(5 * 4096 + 100))  # six chunks, the last one short
    dest = tmp_path / "out" / "dest.bin"
    dest.parent.mkdir()
    real = storecopy._write_all
    calls = []

    def flip_the_last_byte(fd, data):
        calls.append(len(data))
        if len(calls) == bad_write:
            data = bytes(data[:-1]) + bytes([data[-1] ^ 0x80])
        real(fd, data)

    monkeypatch.setattr(storecopy, "_write_all", flip_the_last_byte)
    with pytest.raises(storecopy.CopyError, match="reads back differently"):
        storecopy.copy_verified(str(src), str(dest), chunk=4096)
    assert len(calls) == 6
    assert list(dest.parent.iterdir()) == []


def test_a_copy_longer_than_what_was_written_is_refused(tmp_path, monkeypatch):
    from ytm_doctor.store import copy as storecopy

    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(3 * 4096))
    dest = tmp_path / "dest.bin"
    real = storecopy._write_all

    def write_one_byte_more(fd, data):
        real(fd, data)
        if len(data) == 4096 and os.lseek(fd, 0, os.SEEK_CUR) == 3 * 4096:
            os.pwrite(fd, b"!", 3 * 4096)  # something else appends to the temp file

    monkeypatch.setattr(storecopy, "_write_all", write_one_byte_more)
    with pytest.raises(storecopy.CopyError, match="reads back differently"):
        storecopy.copy_verified(str(src), str(dest), chunk=4096)
    assert not dest.exists()


@pytest.mark.parametrize("size", [1, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 7])
def test_the_copy_is_exact_at_every_chunk_boundary(tmp_path, size):
    from ytm_doctor.store import copy as storecopy

    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(size))
    dest = tmp_path / "dest.bin"
    copied = storecopy.copy_verified(str(src), str(dest), chunk=4096)
    assert dest.read_bytes() == src.read_bytes()
    assert (copied.size, copied.sha256) == (size, sha(src))
