"""The Hot -> Vault mirror (SPEC §6.3, seeds 001 and 002) with the real rsync on real trees.

`hv` is the world of tests/conftest.py with a small factory in Hot (`ws/`) and, on the Vault
(`share/ytm_workspaces/`), what the Vault has on its own: the planning SoT, the portable links of
video/input. Where a test needs rsync to be slow or to fail, YTM_RSYNC_BIN points at a wrapper
that sleeps or exits with a code, then execs the real rsync.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from ytm_doctor.lock import read_lock

RSYNC = shutil.which("rsync")
SENTINEL = ".ytm_vault_workspaces_root.json"
MIRROR_LOGS = "logs/ops/workspaces_mirror"

HOT_FILES = {
    "scripts/CH01/001/status.json": '{"publish_lock": false}',
    "scripts/CH01/001/content/assembled_human.md": "# 年金だけで暮らす老後の現実\n",
    "audio/final/CH01/001/CH01-001.srt": "1\n00:00:00,000 --> 00:00:02,000\nこんにちは\n",
    "thumbnails/assets/CH01/001/v1/00_thumb.png": "png-bytes",
    "video/runs/CH01-001__20260122T083000Z/images/0001.png": "image-bytes",
    "video/input/CH01/CH01-001/images/0001.png": "input-bytes",
    "video/input/CH13/_common/theme.mp3": "mp3-bytes",
    "planning/channels/CH01.csv": "動画番号,進捗\n001,台本作成中\n",  # the Hot cache
}


class HV:
    """The Hot workspace and the Vault of one test, and the mirror command on them."""

    def __init__(self, world, cli, tmp_path: Path) -> None:
        self.world = world
        self.cli = cli
        self.root = tmp_path
        self.ws: Path = world.ws
        self.vault: Path = world.share / "ytm_workspaces"
        for rel, text in HOT_FILES.items():
            self.put(self.ws / rel, text)
        # The planning SoT lives on the Vault and differs from the Hot cache.
        self.put(self.vault / "planning/channels/CH01.csv", "動画番号,進捗\n001,投稿済み\n")
        self.put(world.share / "asset_vault/bgm/calm.mp3", "bgm")
        self.put(world.share / "asset_vault/inputs/CH01-002/0001.png", "shared input")
        # Hot depends on the share for CH01-002 (absolute link); the Vault has its portable one.
        (self.ws / "video/input/CH01/CH01-002").symlink_to(
            world.share / "asset_vault/inputs/CH01-002"
        )
        self.link(
            self.vault / "video/input/CH01/CH01-002", "../../../../asset_vault/inputs/CH01-002"
        )
        # A link the Lenovo side made that Hot never had.
        self.link(self.vault / "video/input/CH01/_shared_bgm", "../../../../asset_vault/bgm")

    @staticmethod
    def put(path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    @staticmethod
    def link(path: Path, target: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    def mirror(self, *args: str, expect: int | None = 0):
        result = self.cli("mirror", *args)
        if expect is not None:
            assert result.code == expect, result.out + result.err
        return result

    def tree(self, root: Path, skip: str | None = None) -> dict[str, tuple]:
        """Every dir, file (sha256, mode) and link (target) under `root`; links never followed."""
        out: dict[str, tuple] = {}
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                full = os.path.join(folder, name)
                rel = os.path.relpath(full, root)
                if skip and rel.startswith(skip):
                    continue
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    out[rel] = ("link", os.readlink(full))
                elif stat.S_ISDIR(st.st_mode):
                    out[rel] = ("dir", stat.S_IMODE(st.st_mode))
                else:
                    digest = hashlib.sha256(Path(full).read_bytes()).hexdigest()
                    out[rel] = ("file", digest, stat.S_IMODE(st.st_mode))
        return out

    def logs(self) -> list[Path]:
        folder = self.ws / MIRROR_LOGS
        return sorted(folder.glob("workspaces_mirror__*.json"))

    def last_log(self) -> dict:
        return json.loads(self.logs()[-1].read_text(encoding="utf-8"))

    def fake_rsync(self) -> str:
        """An `rsync` that sleeps FAKE_RSYNC_SLEEP s, notes its niceness in FAKE_RSYNC_NICE,
        exits FAKE_RSYNC_EXIT if set, else execs the real rsync with the same arguments."""
        path = self.root / "bin" / "slow-rsync"
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            f"#!{sys.executable}\n"
            "import os, sys, time\n"
            f"real = {RSYNC!r}\n"
            "args = sys.argv[1:]\n"
            "if args[:1] != ['--version']:\n"
            "    time.sleep(float(os.environ.get('FAKE_RSYNC_SLEEP', '0')))\n"
            "    if os.environ.get('FAKE_RSYNC_NICE'):\n"
            "        open(os.environ['FAKE_RSYNC_NICE'], 'w').write(str(os.nice(0)))\n"
            "    if os.environ.get('FAKE_RSYNC_EXIT'):\n"
            "        sys.stderr.write('rsync: [sender] read errors: Input/output error\\n')\n"
            "        sys.exit(int(os.environ['FAKE_RSYNC_EXIT']))\n"
            "os.execv(real, [real, *args])\n",
            encoding="utf-8",
        )
        path.chmod(0o755)
        return str(path)


@pytest.fixture
def hv(world, cli, tmp_path: Path) -> HV:
    return HV(world, cli, tmp_path)


def spawn_mirror(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ytm_doctor.cli", "mirror", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_child(lock: Path, timeout: float = 30) -> int:
    """The pid of the rsync a running mirror recorded in its lock."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = read_lock(lock)
        if info is not None and info.child_pid:
            return info.child_pid
        time.sleep(0.05)
    raise AssertionError("the mirror never started rsync")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def kill_and_wait(pid: int) -> None:
    with_suppress = (ProcessLookupError,)
    try:
        os.kill(pid, signal.SIGKILL)
    except with_suppress:
        return
    deadline = time.time() + 10
    while not gone(pid) and time.time() < deadline:
        time.sleep(0.05)


# -- the mirror contract --------------------------------------------------------------------------


def test_a_deletion_in_hot_is_deleted_in_the_vault_except_under_protected_subtrees(hv) -> None:
    hv.mirror("--run")
    for rel in HOT_FILES:
        if not rel.startswith("planning/"):
            assert (hv.vault / rel).read_bytes() == (hv.ws / rel).read_bytes(), rel
    hv.put(hv.ws / "notes/todo.txt", "temp")
    hv.mirror("--run")
    assert (hv.vault / "notes/todo.txt").is_file()

    for rel in (
        "notes/todo.txt",
        "audio/final/CH01/001/CH01-001.srt",
        "scripts/CH01/001/content/assembled_human.md",
        "thumbnails/assets/CH01/001/v1/00_thumb.png",
    ):
        (hv.ws / rel).unlink()
    shutil.rmtree(hv.ws / "video/runs/CH01-001__20260122T083000Z")
    result = hv.mirror("--run")

    assert not (hv.vault / "notes/todo.txt").exists()
    assert not (hv.vault / "audio/final/CH01/001/CH01-001.srt").exists()
    # seed 002: scripts, thumbnails and generated images are never deleted from the Vault.
    assert (hv.vault / "scripts/CH01/001/content/assembled_human.md").is_file()
    assert (hv.vault / "thumbnails/assets/CH01/001/v1/00_thumb.png").is_file()
    assert (hv.vault / "video/runs/CH01-001__20260122T083000Z/images/0001.png").is_file()
    assert "deleted 2" in result.out
    log = hv.last_log()
    assert log["run"] is True and log["returncode"] == 0 and log["status"] == "ok"
    assert log["counts"]["deletes"] == 2
    assert sorted(log["samples"]["deletes"]) == [
        "audio/final/CH01/001/CH01-001.srt",
        "notes/todo.txt",
    ]


def test_the_sentinel_survives_delete_sync_and_hot_never_overwrites_it(hv) -> None:
    sentinel = hv.vault / SENTINEL
    before = sentinel.read_bytes()
    hv.put(hv.ws / SENTINEL, json.dumps({"namespace": "someone_else"}))  # a stray copy on Hot
    hv.mirror("--run")
    assert sentinel.read_bytes() == before
    (hv.ws / SENTINEL).unlink()
    hv.mirror("--run")
    assert sentinel.read_bytes() == before


def test_no_delete_sync_without_a_valid_sentinel(hv, cli) -> None:
    hv.mirror("--run")
    (hv.ws / "scripts/CH01/001/status.json").unlink()
    hv.put(hv.ws / "extra.txt", "new on Hot")
    (hv.ws / "audio/final/CH01/001/CH01-001.srt").unlink()
    for broken in (None, '{"namespace": "factory_', json.dumps({"namespace": "other"})):
        sentinel = hv.vault / SENTINEL
        if broken is None:
            sentinel.unlink()
        else:
            sentinel.write_text(broken, encoding="utf-8")
        vault_before = hv.tree(hv.vault)
        for args in (("--run",), ()):
            result = hv.mirror(*args, expect=4)
            assert result.out == ""
            assert len(result.err_lines) == 1, result.err
            assert "delete-sync refused" in result.err and "Vault sentinel" in result.err
            assert hv.tree(hv.vault) == vault_before
    assert hv.last_log()["status"] == "refused"  # the refused --run is on record for YTM703

    # Copy only is allowed: nothing is deleted on the Vault.
    hv.mirror("--no-delete", "--run")
    assert (hv.vault / "extra.txt").read_text() == "new on Hot"
    assert (hv.vault / "audio/final/CH01/001/CH01-001.srt").is_file()
    assert hv.last_log()["delete"] is False


def test_planning_is_left_alone(hv) -> None:
    hv.put(hv.vault / "planning/channels/CH13.csv", "only on the Vault\n")
    before = hv.tree(hv.vault / "planning")
    hv.mirror("--run")
    hv.put(hv.ws / "planning/channels/CH01.csv", "changed on Hot\n")
    hv.mirror("--run")
    assert hv.tree(hv.vault / "planning") == before
    assert "planning/" in hv.last_log()["excluded"]


def test_video_input_sends_real_dirs_and_keeps_the_vaults_links(hv) -> None:
    vault_link = hv.vault / "video/input/CH01/CH01-002"
    hv.mirror("--run")
    # The Hot link (absolute, into the share) did not replace the Vault's portable link.
    assert os.readlink(vault_link) == "../../../../asset_vault/inputs/CH01-002"
    assert os.readlink(hv.vault / "video/input/CH01/_shared_bgm") == "../../../../asset_vault/bgm"
    assert (hv.vault / "video/input/CH01/CH01-001/images/0001.png").read_text() == "input-bytes"
    assert (hv.vault / "video/input/CH13/_common/theme.mp3").is_file()

    # Inside a real dir the mirror is a mirror: a deletion on Hot is deleted on the Vault.
    hv.put(hv.ws / "video/input/CH01/CH01-001/images/0002.png", "second")
    hv.mirror("--run")
    (hv.ws / "video/input/CH01/CH01-001/images/0001.png").unlink()
    hv.mirror("--run")
    assert not (hv.vault / "video/input/CH01/CH01-001/images/0001.png").exists()
    assert (hv.vault / "video/input/CH01/CH01-001/images/0002.png").is_file()

    # The fallback materialised CH01-002 on Hot as a real dir: the Vault keeps its link, and
    # nothing is written through it into the asset vault.
    link_target = hv.world.share / "asset_vault/inputs/CH01-002"
    target_before = hv.tree(link_target)
    (hv.ws / "video/input/CH01/CH01-002").unlink()
    hv.put(hv.ws / "video/input/CH01/CH01-002/0001.png", "local copy")
    result = hv.mirror("--run")
    assert os.readlink(vault_link) == "../../../../asset_vault/inputs/CH01-002"
    assert hv.tree(link_target) == target_before
    assert "video/input/CH01/CH01-002 (a link on the Vault; not replaced)" in result.out
    assert hv.last_log()["video_input"]["links_kept"] == []


def test_hot_links_in_video_input_are_never_sent_whether_absolute_or_relative(hv) -> None:
    hv.link(hv.ws / "video/input/CH01/latest", "CH01-001")  # relative, inside Hot
    hv.link(hv.ws / "video/input/CH14", "CH13")  # one level down
    hv.put(hv.vault / "video/input/CH01/latest/0001.png", "the Vault's own folder")
    hv.mirror("--run")
    hv.mirror("--run")

    assert (hv.vault / "video/input/CH01/latest/0001.png").read_text() == "the Vault's own folder"
    assert not os.path.lexists(hv.vault / "video/input/CH14")
    assert os.readlink(hv.vault / "video/input/CH01/CH01-002") == (
        "../../../../asset_vault/inputs/CH01-002"
    )
    kept = hv.last_log()["video_input"]["links_kept"]
    assert sorted(kept) == [
        "video/input/CH01/CH01-002",
        "video/input/CH01/latest",
        "video/input/CH14",
    ]


def test_a_file_where_hot_has_a_protected_subtree_is_kept_on_the_vault(hv) -> None:
    hv.mirror("--run")
    shutil.rmtree(hv.ws / "thumbnails")
    shutil.rmtree(hv.vault / "scripts")
    hv.put(hv.vault / "scripts", "a file where the scripts folder was")
    shutil.rmtree(hv.ws / "scripts")
    hv.mirror("--run")

    assert (hv.vault / "scripts").read_text() == "a file where the scripts folder was"
    assert (hv.vault / "thumbnails/assets/CH01/001/v1/00_thumb.png").read_text() == "png-bytes"


def test_links_leading_outside_the_workspace_are_not_copied(hv) -> None:
    run = hv.ws / "video/runs/CH01-001__20260122T083000Z"
    (run / "capcut_draft").symlink_to(hv.root / "drafts/CH01-001")  # Mac-local, absolute
    (run / "latest.png").symlink_to("images/0001.png")  # inside the workspace
    hv.mirror("--run")
    copied = hv.vault / "video/runs/CH01-001__20260122T083000Z"
    assert not os.path.lexists(copied / "capcut_draft")
    assert os.readlink(copied / "latest.png") == "images/0001.png"


def test_a_dry_run_changes_nothing_and_summarises_the_itemized_changes(hv) -> None:
    hv.mirror("--run")
    (hv.ws / "audio/final/CH01/001/CH01-001.srt").unlink()
    hv.put(hv.ws / "scripts/CH01/001/status.json", '{"publish_lock": true}')
    hv.put(hv.ws / "new/a.txt", "a")
    ws_before, vault_before, logs_before = hv.tree(hv.ws), hv.tree(hv.vault), hv.logs()

    result = hv.mirror()

    new_logs = [p for p in hv.logs() if p not in logs_before]
    assert len(new_logs) == 1
    skip = os.path.relpath(new_logs[0], hv.ws)
    assert hv.tree(hv.ws, skip=skip) == ws_before  # only the run log was added
    assert hv.tree(hv.vault) == vault_before
    log = json.loads(new_logs[0].read_text())
    assert log["run"] is False and log["returncode"] == 0
    assert "--dry-run" in log["argv"] and "--itemize-changes" in log["argv"]
    assert log["counts"]["deletes"] == 1
    assert log["samples"]["deletes"] == ["audio/final/CH01/001/CH01-001.srt"]
    assert {"new/", "new/a.txt"} <= set(log["samples"]["creates"])
    assert "scripts/CH01/001/status.json" in log["samples"]["updates"]
    assert "mirror (dry-run)" in result.out and "dry-run: nothing was changed" in result.out
    assert "    delete  audio/final/CH01/001/CH01-001.srt" in result.out

    hv.mirror("--run")  # the dry-run's summary is what the run then does
    assert hv.last_log()["samples"]["deletes"] == ["audio/final/CH01/001/CH01-001.srt"]


def test_the_run_log_is_portable_and_records_the_rsync_settings(hv, monkeypatch) -> None:
    monkeypatch.setenv("YTM_MIRROR_NICE", "7")
    monkeypatch.setenv("YTM_RSYNC_TIMEOUT_SEC", "45")
    monkeypatch.setenv("YTM_RSYNC_BWLIMIT_KBPS", "20000")
    monkeypatch.setenv("YTM_RSYNC_WHOLE_FILE", "0")
    monkeypatch.setenv("YTM_RSYNC_BIN", hv.fake_rsync())
    nice_file = hv.root / "niceness"
    monkeypatch.setenv("FAKE_RSYNC_NICE", str(nice_file))
    hv.mirror("--run")
    log = hv.last_log()
    argv = log["argv"]
    assert argv[1:3] == ["-n", "7"] and argv[3] == hv.fake_rsync()
    assert {"--timeout=45", "--bwlimit=20000", "--delete-delay"} <= set(argv)
    assert "--whole-file" not in argv
    assert "--filter=- /planning" in argv and "--filter=P /video/input/*/*" in argv
    # One rsync run: the protected subtrees are sent and kept on the receiver's side.
    assert {"--filter=P /scripts", "--filter=P /video/runs/***"} <= set(argv)
    assert "passes" not in log and log["rsync_seconds"] >= 0
    assert argv[-2:] == ["$WORKSPACE_ROOT/", "$VAULT_WORKSPACES_ROOT/"]
    assert str(hv.world.share) not in json.dumps(log)  # never a path through the share mount
    # rsync really ran 7 steps nicer than this test.
    assert int(nice_file.read_text()) == min(os.nice(0) + 7, 19)
    monkeypatch.setenv("YTM_RSYNC_WHOLE_FILE", "1")
    hv.mirror("--run")
    assert "--whole-file" in hv.last_log()["argv"]


# -- refusals -------------------------------------------------------------------------------------


def test_an_offline_share_is_refused_and_nothing_is_written_to_it(hv) -> None:
    hv.mirror("--run")
    hv.put(hv.ws / "extra.txt", "x")
    (hv.world.share / "README_MOUNTPOINT.txt").write_text("not mounted", encoding="utf-8")
    share_before = hv.tree(hv.world.share)
    for args in ((), ("--run",), ("--run", "--bootstrap-dest", "--ensure-dirs")):
        result = hv.mirror(*args, expect=4)
        assert len(result.err_lines) == 1 and "is a stub" in result.err, result.err
        assert hv.tree(hv.world.share) == share_before
    assert hv.last_log()["status"] == "refused"


def test_a_degraded_share_is_refused(hv) -> None:
    hv.world.shared_base.rmdir()
    result = hv.mirror("--run", expect=4)
    assert result.err_lines == [
        "ytm-doctor: error: mirror: the share is degraded (uploads/factory_commentary/ is "
        "missing): the mirror waits until it is usable (ytm-doctor explain YTM102 or add "
        "--ensure-dirs); nothing was written"
    ]


def test_a_missing_rsync_is_one_line_and_exit_4(hv, cli_proc, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = cli_proc("mirror", "--run", env={"PATH": str(empty)})
    assert result.code == 4
    assert result.err_lines == [
        "ytm-doctor: error: mirror: rsync is not installed (not at /opt/homebrew/bin/rsync nor "
        "on PATH); install it (brew install rsync, apt-get install rsync) or set YTM_RSYNC_BIN"
    ]
    result = cli_proc("mirror", env={"YTM_RSYNC_BIN": str(tmp_path / "no/rsync")})
    assert result.code == 4
    assert result.err_lines == [
        f"ytm-doctor: error: mirror: rsync binary {tmp_path / 'no/rsync'} (from env "
        "(YTM_RSYNC_BIN)) is not an executable file"
    ]


def test_an_old_rsync_is_refused(hv, monkeypatch, tmp_path: Path) -> None:
    old = tmp_path / "bin" / "rsync"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho 'rsync  version 2.6.9  protocol version 29'\n")
    old.chmod(0o755)
    monkeypatch.setenv("YTM_RSYNC_BIN", str(old))
    result = hv.mirror(expect=4)
    assert len(result.err_lines) == 1 and "needs rsync 3 or newer" in result.err


# -- rsync failures -------------------------------------------------------------------------------


def test_partial_transfers_are_reported_as_such(hv, monkeypatch) -> None:
    monkeypatch.setenv("YTM_RSYNC_BIN", hv.fake_rsync())
    monkeypatch.setenv("FAKE_RSYNC_EXIT", "23")
    result = hv.mirror("--run", expect=1)
    log = hv.last_log()
    assert (log["status"], log["returncode"], log["ok"]) == ("partial", 23, False)
    assert log["result"]["meaning"] == "partial transfer due to error"
    assert "rsync exited 23: partial transfer due to error" in result.out
    assert "Input/output error" in result.out

    monkeypatch.setenv("FAKE_RSYNC_EXIT", "24")  # files vanished on Hot while being sent
    result = hv.mirror("--run", expect=0)
    log = hv.last_log()
    assert (log["status"], log["returncode"], log["ok"]) == ("partial-vanished", 24, True)
    assert "vanished on Hot" in result.err


# -- journal, audit, undo -------------------------------------------------------------------------


def test_a_run_is_journaled_audited_and_undo_puts_back_what_it_replaced(hv, cli) -> None:
    """Every Vault file the delete-sync deletes or overwrites is kept in the share's
    ytm_mirror_backups/<run_id>/ (outside the mirrored tree); undo puts each back, and what
    stood in its place is kept too. Files the mirror created (copies of Hot's) stay."""
    hv.mirror("--run")  # the Vault now mirrors Hot
    vault_only = hv.put(hv.vault / "audio/final/CH01/001/CH01-001.wav", "only on the Vault")
    script = "scripts/CH01/001/content/assembled_human.md"
    hv.put(hv.ws / script, "# 書き直した台本\n")  # Hot's newer script overwrites the Vault's
    vault_before = hv.tree(hv.vault)

    result = hv.mirror("--run", "--json")
    data = result.json()
    run_id = data["run_id"]
    assert not vault_only.exists()
    assert (hv.vault / script).read_text() == "# 書き直した台本\n"
    kept = hv.world.share / "ytm_mirror_backups" / run_id
    assert (kept / "audio/final/CH01/001/CH01-001.wav").read_text() == "only on the Vault"
    assert (kept / script).read_text() == HOT_FILES[script]
    lines = [json.loads(x) for x in Path(data["journal"]).read_text().splitlines()]
    [begin] = [x for x in lines if x["type"] == "begin"]
    assert begin["action"]["op"] == "rsync"
    assert begin["action"]["options"] == {"delete": True}
    assert begin["inverse"]["op"] == "unmirror"
    assert begin["inverse"]["backup"] == {"root": "share", "rel": f"ytm_mirror_backups/{run_id}"}
    [done] = [x for x in lines if x["type"] == "done"]
    assert done["inverse_update"]["returncode"] == 0
    assert hv.last_log()["backup_dir"] == f"$SHARE_ROOT/ytm_mirror_backups/{run_id}"
    audit = [json.loads(x) for x in (hv.world.report_dir / "audit.jsonl").read_text().splitlines()]
    assert audit[-1]["run_id"] == run_id and audit[-1]["command"] == "mirror"
    assert audit[-1]["applied"] == 1 and audit[-1]["returncode"] == 0

    preview = cli("undo", run_id)
    assert "unmirror" in preview.out, preview.out
    undo = cli("undo", run_id, "--run")
    assert undo.code == 0, undo.out + undo.err
    assert "1 undone, 0 refused, 0 failed" in undo.out
    after = hv.tree(hv.vault)
    assert {rel: after.get(rel) for rel in vault_before} == vault_before
    created = set(after) - set(vault_before)  # what the mirror created: Hot's logs of it
    assert created and all(rel.startswith("logs/ops/") for rel in created), created
    # The newer script that stood in the old one's place is kept in the undo's own folder.
    undo_id = undo.out.rsplit("undo run ", 1)[1].split(":", 1)[0]
    aside = hv.world.share / "ytm_mirror_backups" / undo_id / script
    assert aside.read_text() == "# 書き直した台本\n"


def test_old_backup_folders_are_pruned_and_young_ones_kept(hv) -> None:
    backups = hv.world.share / "ytm_mirror_backups"
    old = hv.put(backups / "20200101T000000Z-aaaaaa/scripts/x.md", "old")
    young = hv.put(backups / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-bbbbbb/x", "y")
    hv.mirror("--run")
    assert not old.exists()
    assert young.read_text() == "y"


def test_bootstrap_dest_and_ensure_dirs_prepare_a_fresh_vault(hv) -> None:
    shutil.rmtree(hv.vault)
    result = hv.mirror(expect=4)  # ytm_workspaces/ missing: the share is degraded
    assert "ytm_workspaces/ is missing" in result.err
    preview = hv.mirror("--bootstrap-dest", "--ensure-dirs")
    assert "would  create ytm_workspaces" in preview.out
    assert "would  write the Vault sentinel" in preview.out
    assert not hv.vault.exists()

    result = hv.mirror("--bootstrap-dest", "--ensure-dirs", "--run", "--json")
    data = result.json()
    assert [f["status"] for f in data["fixes"]] == ["applied"] * 3
    sentinel = json.loads((hv.vault / SENTINEL).read_text())
    assert sentinel["namespace"] == "factory_commentary"
    assert (hv.world.share / "asset_vault").is_dir()
    assert (hv.vault / "scripts/CH01/001/status.json").is_file()

    # Another namespace's sentinel is never overwritten by --bootstrap-dest.
    (hv.vault / SENTINEL).write_text(json.dumps({"namespace": "other_factory"}))
    result = hv.mirror("--bootstrap-dest", "--run", expect=4)
    assert len(result.err_lines) == 1 and "another namespace" in result.err
    assert json.loads((hv.vault / SENTINEL).read_text())["namespace"] == "other_factory"


def test_a_fresh_vault_gets_the_store_base_too_journaled(hv, cli) -> None:
    """A new share has neither ytm_workspaces/ nor uploads/<namespace>/: --bootstrap-dest
    --ensure-dirs makes both (mkdir actions of the same journaled run) instead of refusing the
    share as degraded, and a scan then finds it healthy (no YTM102)."""
    share = hv.world.share
    shutil.rmtree(hv.vault)
    shutil.rmtree(share / "uploads")
    refused = hv.mirror("--bootstrap-dest", expect=4)
    assert "uploads/factory_commentary/ is missing" in refused.err
    assert "add --ensure-dirs" in refused.err
    preview = hv.mirror("--bootstrap-dest", "--ensure-dirs")
    assert "mkdir    share:uploads/factory_commentary" in preview.out
    assert not (share / "uploads").exists()

    data = hv.mirror("--bootstrap-dest", "--ensure-dirs", "--run", "--json").json()
    assert [f["status"] for f in data["fixes"]] == ["applied"] * 3
    assert (share / "uploads/factory_commentary").is_dir()
    lines = [json.loads(x) for x in Path(data["journal"]).read_text().splitlines()]
    made = [
        x["action"]["path"] for x in lines if x["type"] == "begin" and x["action"]["op"] == "mkdir"
    ]
    assert {"root": "share", "rel": "uploads"} in made
    assert {"root": "share", "rel": "uploads/factory_commentary"} in made
    scan = cli("--select", "YTM102", "--json", "--no-save")
    assert scan.code == 0, scan.out + scan.err
    assert scan.json()["findings"] == []


def test_ensure_dirs_alone_repairs_a_missing_store_base(hv) -> None:
    shutil.rmtree(hv.world.share / "uploads")  # the Vault itself is fine (valid sentinel)
    refused = hv.mirror("--run", expect=4)
    assert "degraded" in refused.err and "add --ensure-dirs" in refused.err
    data = hv.mirror("--ensure-dirs", "--run", "--json").json()
    assert [f["status"] for f in data["fixes"]] == ["applied", "applied"]
    assert (hv.world.share / "uploads/factory_commentary").is_dir()


def test_fix_runs_the_mirror_for_a_failed_last_run(hv, cli, monkeypatch) -> None:
    monkeypatch.setenv("YTM_RSYNC_BIN", hv.fake_rsync())
    monkeypatch.setenv("FAKE_RSYNC_EXIT", "30")
    hv.mirror("--run", expect=1)
    monkeypatch.delenv("YTM_RSYNC_BIN")
    [finding] = cli("--select", "YTM703", "--json", "--no-save").json()["findings"]
    assert finding["details"]["problem"] == "failed"
    assert "timeout in data send/receive" in finding["message"]
    assert finding["fix"]["fixer"] == "mirror"

    plan = cli("fix", "--select", "YTM703", "--json").json()["plan"]
    [action] = plan["fixes"][0]["actions"]
    assert action["op"] == "rsync" and action["path"] == {"root": "share", "rel": "ytm_workspaces"}
    assert not (hv.vault / "scripts").exists()  # the dry-run mirrored nothing

    run = cli("fix", "--select", "YTM703", "--run", "--json")
    assert run.code == 0, run.out + run.err
    assert run.json()["results"][0]["status"] == "applied"
    assert (hv.vault / "scripts/CH01/001/status.json").is_file()
    assert cli("--select", "YTM703", "--json", "--no-save").json()["findings"] == []


# -- one mirror at a time -------------------------------------------------------------------------


def test_two_mirrors_at_once_one_runs_the_other_exits_cleanly(hv) -> None:
    env = {"YTM_RSYNC_BIN": hv.fake_rsync(), "FAKE_RSYNC_SLEEP": "2"}
    lock = hv.world.report_dir / "mirror.lock"
    logs_before = hv.logs()
    first = spawn_mirror("--run", env=env)
    try:
        wait_for_child(lock)
        second = spawn_mirror("--run", env=env)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert out == ""
        [line] = err.splitlines()
        assert f"another mirror holds {lock}" in line
        assert f"pid {first.pid} on {socket.gethostname()}" in line
        assert line.endswith("; nothing done")
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
    assert (hv.vault / "scripts/CH01/001/status.json").is_file()
    assert not lock.exists()
    # One run log: the first's. The second did nothing, not even a log YTM703 would read.
    [log] = [p for p in hv.logs() if p not in logs_before]
    assert json.loads(log.read_text())["status"] == "ok"


def test_a_lock_left_by_a_killed_mirror_is_taken_over_once_its_rsync_is_gone(hv) -> None:
    env = {"YTM_RSYNC_BIN": hv.fake_rsync(), "FAKE_RSYNC_SLEEP": "60"}
    lock = hv.world.report_dir / "mirror.lock"
    first = spawn_mirror("--run", env=env)
    child = wait_for_child(lock)
    first.kill()  # SIGKILL: no cleanup, the lock stays
    first.communicate(timeout=30)
    try:
        assert read_lock(lock).pid == first.pid
        # Its rsync still runs: a second mirror now would race it.
        busy = hv.mirror("--run")
        assert "another mirror holds" in busy.err and f"child pid {child}" in busy.err
    finally:
        kill_and_wait(child)

    result = hv.mirror("--run")
    assert f"took over a stale mirror lock from ytm-doctor mirror --run (pid {first.pid}" in (
        result.err
    )
    assert (hv.vault / "scripts/CH01/001/status.json").is_file()
    assert not lock.exists()
    audit = [json.loads(x) for x in (hv.world.report_dir / "audit.jsonl").read_text().splitlines()]
    [takeover] = [a for a in audit if a.get("event") == "lock-takeover"]
    assert takeover["command"] == "mirror"
    assert takeover["previous_owner"]["pid"] == first.pid
    assert takeover["previous_owner"]["child_pid"] == child
    assert "is gone" in takeover["reason"]


def test_sigterm_stops_rsync_logs_the_interruption_and_releases_the_lock(hv) -> None:
    env = {"YTM_RSYNC_BIN": hv.fake_rsync(), "FAKE_RSYNC_SLEEP": "60"}
    lock = hv.world.report_dir / "mirror.lock"
    proc = spawn_mirror("--run", env=env)
    child = wait_for_child(lock)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, err
    assert "interrupted" in err
    assert gone(child)
    assert not lock.exists()
    log = hv.last_log()
    assert (log["run"], log["status"], log["ok"]) == (True, "interrupted", False)
