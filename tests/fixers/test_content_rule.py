"""The content rule across commands: no sequence of store, --move, --symlink-back, a crash and
undo leaves content with no copy. On real trees; "content" is the SHA-256 of every regular file
anywhere in the world (workspace, share, outbox, the tool's backups), so a test fails whenever a
file's bytes exist nowhere after a step."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

NS = "factory_commentary"
BASE = f"share/uploads/{NS}"
WAV = "ws/audio/final/CH02/012/CH02-012.wav"
STORED_WAV = f"{BASE}/audio_final/CH02/012/CH02-012.wav"


def contents(root: Path) -> set[str]:
    """The SHA-256 of every regular file under `root` (links are not followed)."""
    found = set()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                found.add(hashlib.sha256(Path(path).read_bytes()).hexdigest())
    return found


def run_id_of(output: str) -> str:
    return output.split("run ", 1)[1].split(":", 1)[0]


def published(factory) -> bytes:
    data = b"RIFF" + os.urandom(200_000)
    factory.write(WAV, data)
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": True})
    return data


def test_undo_of_a_store_keeps_the_copy_a_later_move_relied_on(factory):
    """store (run 1), store --move (run 2: nothing to copy, the local file goes), then undo
    run 1: the stored copy is now the only one, so the undo is refused and it stays."""
    data = published(factory)
    digest = hashlib.sha256(data).hexdigest()
    run1 = run_id_of(factory.cli("store", "--src", WAV, "--run").out)
    moved = factory.cli("store", "--src", WAV, "--move", "--run")
    assert moved.code == 0, moved.out + moved.err
    assert not os.path.lexists(factory.root / WAV)

    before = factory.user_tree()
    result = factory.cli("undo", run1, "--run")
    assert result.code == 1, result.out + result.err
    assert "the stored copy is its only copy" in result.out, result.out
    assert factory.user_tree() == before
    assert hashlib.sha256((factory.root / STORED_WAV).read_bytes()).hexdigest() == digest
    # Undoing the move first brings the local file back; then run 1 undoes cleanly.
    factory.undo(run_id_of(moved.out))
    factory.undo(run1)
    assert (factory.root / WAV).read_bytes() == data
    assert not os.path.lexists(factory.root / STORED_WAV)


def test_undo_of_a_store_keeps_the_copy_when_the_source_changed_since(factory):
    published(factory)
    run1 = run_id_of(factory.cli("store", "--src", WAV, "--run").out)
    stored = (factory.root / STORED_WAV).read_bytes()
    factory.write(WAV, b"RIFF re-recorded")
    result = factory.cli("undo", run1, "--run")
    assert result.code == 1
    assert "changed since it was stored" in result.out, result.out
    assert (factory.root / STORED_WAV).read_bytes() == stored


def test_a_move_killed_after_the_unlink_is_undone_by_copying_back(factory):
    """SIGKILL-like death after a --move's release removed the local file but before its
    "done" line: the journal's begin line already holds the verified hash, so undo copies the
    stored bytes back instead of removing the stored copy."""
    data = published(factory)
    everything = contents(factory.root)
    script = textwrap.dedent(
        """
        import os, sys
        from ytm_doctor.store.ops.release import Release
        from ytm_doctor.cli import main
        real_do = Release.do
        def do(self, *args):
            real_do(self, *args)
            os._exit(9)  # the local file is gone: die before the journal's done line
        Release.do = do
        sys.exit(main(sys.argv[1:]))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    proc = subprocess.run(
        [sys.executable, "-c", script, "store", "--src", WAV, "--move", "--run"],
        cwd=factory.root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 9, proc.stdout + proc.stderr
    assert not os.path.lexists(factory.root / WAV)
    journal = max((factory.report_dir).glob("journal__*.jsonl"), key=os.path.getmtime)
    run_id = journal.name[len("journal__") : -len(".jsonl")]

    factory.undo(run_id)
    assert (factory.root / WAV).read_bytes() == data
    assert everything <= contents(factory.root)


def test_a_plan_releasing_a_file_against_itself_deletes_nothing(factory):
    """A hand-made plan whose release "source" is the local file itself, marked not
    destructive: the operation is destructive whatever the plan says (unposted: refused), and
    with the override it still finds no copy and keeps the file."""
    data = published(factory)
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": False})
    plan = json.loads(factory.cli("store", "--src", WAV, "--move", "--json").out)["plan"]
    [fix] = plan["fixes"]
    release = next(a for a in fix["actions"] if a["op"] == "release")
    release["source"] = release["path"]  # "the stored copy" is the file itself
    release["sha256"] = hashlib.sha256(data).hexdigest()
    fix.update(actions=[release], destructive=False, stage="published", preconditions=[])
    path = factory.root / "plan.json"
    path.write_text(json.dumps(plan))
    before = factory.user_tree()
    result = factory.cli("apply", str(path), "--run", "--json")
    assert result.code == 1, result.out + result.err
    [res] = result.json()["results"]
    assert res["status"] == "refused"
    assert any("unposted" in r for r in res["reasons"]), res
    assert factory.user_tree() == before

    result = factory.cli(
        "apply", str(path), "--run", "--json", "--allow-unposted", "--reason", "test"
    )
    assert result.code == 1, result.out + result.err
    [res] = result.json()["results"]
    assert res["status"] == "failed"
    assert any("is this file, not a copy of it" in r for r in res["reasons"]), res
    assert (factory.root / WAV).read_bytes() == data


def test_store_episode_move_removes_only_what_the_policy_lets_go(factory):
    """After posting only final audio (and CapCut draft packs) may leave the workspace: an
    episode --move stores the script and thumbnails too but keeps them locally, and says so."""
    data = published(factory)
    script = factory.write("ws/scripts/CH02/012/content/assembled_human.md", "# 台本\n")
    thumb = factory.write("ws/thumbnails/assets/CH02/012/00_thumb.png", b"\x89PNG real")
    before = {p: p.read_bytes() for p in (script, thumb)}
    result = factory.cli("store", "episode", "--channel", "CH02", "--video", "012", "--move")
    assert result.code == 0, result.out + result.err
    assert "archive-only after posting" in result.out, result.out
    result = factory.cli(
        "store", "episode", "--channel", "CH02", "--video", "012", "--move", "--run"
    )
    assert result.code == 0, result.out + result.err
    assert not os.path.lexists(factory.root / WAV)  # delete-allowed: moved to the store
    assert (factory.root / STORED_WAV).read_bytes() == data
    assert {p: p.read_bytes() for p in (script, thumb)} == before  # stored, kept


def test_a_plan_releasing_an_archive_only_file_is_refused(factory):
    """The policy holds for plan files too: a release of a script is refused when it runs."""
    published(factory)
    script = "ws/scripts/CH02/012/content/assembled_human.md"
    factory.write(script, "# 台本\n")
    factory.cli("store", "--src", script, "--run")
    plan = json.loads(factory.cli("store", "--src", WAV, "--move", "--json").out)["plan"]
    [fix] = plan["fixes"]
    release = next(a for a in fix["actions"] if a["op"] == "release")
    stored = f"{BASE}/scripts/CH02/012/assembled_human.md"
    release.update(
        path={"root": "workspace", "rel": script[3:]},
        source={"root": "share", "rel": stored[6:]},
        sha256=hashlib.sha256((factory.root / script).read_bytes()).hexdigest(),
    )
    fix.update(actions=[release], preconditions=[])
    path = factory.root / "plan.json"
    path.write_text(json.dumps(plan))
    result = factory.cli("apply", str(path), "--run", "--json")
    assert result.code == 1, result.out + result.err
    [res] = result.json()["results"]
    assert any("archive-only after posting" in r for r in res["reasons"]), res
    assert (factory.root / script).read_text() == "# 台本\n"


def test_undo_of_a_copy_keeps_it_when_its_source_is_gone(factory):
    """materialize-input copied a share folder to Hot; the share's folder was deleted since:
    the local copy is the only one left, so undo refuses to remove it."""
    factory.write("share/asset_vault/bgm/a.mp3", b"song A")
    factory.link("ws/video/input/CH01/bgm", factory.share / "asset_vault" / "bgm")
    run = factory.fix_run("YTM403")
    copied = factory.root / "ws/video/input/CH01/bgm/a.mp3"
    assert copied.read_bytes() == b"song A"
    (factory.share / "asset_vault/bgm/a.mp3").unlink()
    result = factory.cli("undo", run["run_id"], "--run")
    assert result.code == 1, result.out + result.err
    assert "the copy may be the only one left" in result.out, result.out
    assert copied.read_bytes() == b"song A"
