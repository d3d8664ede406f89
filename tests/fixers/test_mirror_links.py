"""The mirror and Hot's links (seeds 001 §0.3, 002): a Hot link into the share reaches the Vault
as a share-relative link that resolves on every host; a link that leads outside both roots, or
that loops, is not sent. Real rsync, real symlinks, on the `hv` world of test_mirror.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_mirror import HOT_FILES, HV
from treehash import snapshot

NS = "factory_commentary"
WAV = "audio/final/CH01/001/CH01-001.wav"
SRT = "audio/final/CH01/001/CH01-001.srt"
RUN = "video/runs/CH01-001__20260122T083000Z"
ALIAS = "/srv/workspace/doraemon/workspace/lenovo_share"  # where the gateway mounts the share
HOT_SRT = HOT_FILES[SRT]
WAV_BYTES = b"RIFF" + bytes(range(256)) * 64


@pytest.fixture
def hv(world, cli, tmp_path: Path) -> HV:
    return HV(world, cli, tmp_path)


def inside(path: Path, root: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real.startswith(top + os.sep)


def assert_portable(hv: HV, rel: str, data: bytes) -> str:
    """The Vault's `rel` is a relative link that resolves inside the share to `data`."""
    link = hv.vault / rel
    assert link.is_symlink(), rel
    text = os.readlink(link)
    assert not os.path.isabs(text) and str(hv.root) not in text, text
    assert inside(link, hv.world.share)
    assert link.read_bytes() == data
    return text


def store_symlink_back(hv: HV, rel: str) -> None:
    """`store --symlink-back` of a published episode's file: Hot keeps an absolute link to the
    stored copy under <share>/uploads/<ns>/."""
    hv.put(hv.ws / "scripts/CH01/001/status.json", '{"publish_lock": true}')
    result = hv.cli("store", "--src", f"ws/{rel}", "--symlink-back", "--run")
    assert result.code == 0, result.out + result.err
    assert os.path.isabs(os.readlink(hv.ws / rel))


def test_symlinked_back_audio_reaches_the_vault_as_a_portable_link(hv) -> None:
    (hv.ws / WAV).write_bytes(WAV_BYTES)
    store_symlink_back(hv, WAV)
    store_symlink_back(hv, SRT)
    srt_bytes = (hv.ws / SRT).read_bytes()

    result = hv.mirror("--run")

    text = assert_portable(hv, WAV, WAV_BYTES)
    assert text == f"../../../../../uploads/{NS}/audio_final/CH01/001/CH01-001.wav"
    assert_portable(hv, SRT, srt_bytes)
    log = hv.last_log()
    assert log["status"] == "ok" and log["returncode"] == 0
    assert {WAV, SRT} <= set(log["samples"]["creates"])
    links = log["links"]
    assert {(x["path"], x["target"]) for x in links["portable"]} >= {
        (WAV, text),
        (SRT, f"../../../../../uploads/{NS}/audio_final/CH01/001/CH01-001.srt"),
    }
    assert str(hv.world.share) not in json.dumps(log)  # the log names no share-mount path
    assert "2 links into the share" in result.out, result.out

    # Nothing to do the next time: the links are not written again, nor deleted by delete-sync.
    hv.mirror("--run")
    log = hv.last_log()
    assert {x["change"] for x in log["links"]["portable"]} == {"same"}
    changed = {p for kind in ("creates", "updates", "deletes") for p in log["samples"][kind]}
    assert all(p.startswith("logs/") for p in changed), changed  # only this run's own logs
    assert_portable(hv, WAV, WAV_BYTES)


def test_a_runs_capcut_draft_on_the_share_reaches_the_vault_as_a_portable_link(hv) -> None:
    archive = hv.world.shared_base / "capcut_draft_archive"
    hv.put(archive / "CH01-001/draft_content.json", '{"draft": 1}')
    hv.put(archive / "CH01-002/draft_content.json", '{"draft": 2}')
    (hv.ws / RUN / "capcut_draft").symlink_to(archive / "CH01-001")
    # The gateway's spelling of the same share (a host alias) maps just as well.
    hv.world.configure(shared_storage={"host_aliases": [ALIAS]})
    other = "video/runs/CH01-002__20260123T090000Z"
    hv.put(hv.ws / other / "images/0001.png", "image")
    (hv.ws / other / "capcut_draft").symlink_to(
        f"{ALIAS}/uploads/{NS}/capcut_draft_archive/CH01-002"
    )

    hv.mirror("--run")

    for run, n in ((RUN, 1), (other, 2)):
        link = hv.vault / run / "capcut_draft"
        text = os.readlink(link)
        assert text == f"../../../../uploads/{NS}/capcut_draft_archive/CH01-00{n}"
        assert (link / "draft_content.json").read_text() == f'{{"draft": {n}}}'
        assert inside(link, hv.world.share)


def test_a_link_loop_is_not_sent_and_the_mirror_succeeds(hv) -> None:
    (hv.ws / "notes").mkdir()
    (hv.ws / "notes/a").symlink_to("b")
    (hv.ws / "notes/b").symlink_to("a")
    (hv.ws / RUN / "capcut_draft").symlink_to("capcut_draft")  # loops on itself
    hv.put(hv.ws / "notes/todo.txt", "sent")
    hv.link(hv.vault / "notes/a", "b")  # the copy an earlier mirror made

    result = hv.mirror("--run", "--json")
    run_id = result.json()["run_id"]
    result = hv.mirror("--run")

    assert (hv.vault / "notes/todo.txt").read_text() == "sent"
    for rel in ("notes/a", "notes/b", f"{RUN}/capcut_draft"):
        assert not os.path.lexists(hv.vault / rel), rel
    log = hv.last_log()
    assert log["status"] == "ok"
    assert sorted(log["links"]["loops"]) == sorted(["notes/a", "notes/b", f"{RUN}/capcut_draft"])
    assert "3 link loops not sent" in result.out, result.out
    # The earlier copy went like anything Hot does not have: kept in that run's backups.
    assert os.readlink(hv.world.share / "ytm_mirror_backups" / run_id / "notes/a") == "b"


def test_a_share_link_never_replaces_a_vault_folder_nor_makes_a_loop(hv) -> None:
    hv.put(hv.vault / f"{RUN}/capcut_draft/draft_content.json", "the Vault's own draft")
    target = hv.put(hv.world.shared_base / "drafts/CH01-001/draft_content.json", "{}").parent
    (hv.ws / RUN / "capcut_draft").symlink_to(target)
    hv.mirror("--run")  # the Vault's SRT, a copy of Hot's
    (hv.ws / SRT).unlink()
    (hv.ws / SRT).symlink_to(hv.vault / SRT)  # Hot leaning on the Vault's copy of itself

    result = hv.mirror("--run")

    assert (
        hv.vault / RUN / "capcut_draft/draft_content.json"
    ).read_text() == "the Vault's own draft"
    assert (hv.vault / SRT).read_text() == HOT_SRT
    skipped = {s["path"]: s["why"] for s in hv.last_log()["links"]["skipped"]}
    assert skipped == {
        f"{RUN}/capcut_draft": "a folder on the Vault; not replaced",
        SRT: "it leads to its own place on the Vault",
    }
    assert f"{RUN}/capcut_draft (a folder on the Vault; not replaced)" in result.out


def test_links_outside_both_roots_stay_unsent(hv) -> None:
    outside = hv.put(hv.root / "outside/x.wav", "local only")
    (hv.ws / WAV).symlink_to(outside)  # absolute, neither Hot nor the share
    (hv.ws / "audio/final/CH01/001/rel.wav").symlink_to("../../../../../outside/x.wav")
    hv.put(hv.vault / "audio/final/CH01/001/rel.wav", "the Vault's own")

    hv.mirror("--run")

    assert not os.path.lexists(hv.vault / WAV)
    # Not sent, and whatever the Vault has there is neither replaced by it nor deleted.
    assert (hv.vault / "audio/final/CH01/001/rel.wav").read_text() == "the Vault's own"
    assert hv.last_log()["links"]["portable"] == []


def test_a_dry_run_shows_the_link_changes_and_changes_nothing(hv) -> None:
    hv.mirror("--run")
    target = hv.put(hv.world.shared_base / "audio_final/CH01/001/CH01-001.wav", "wav")
    (hv.ws / WAV).symlink_to(target)
    srt_target = hv.put(hv.world.shared_base / "audio_final/CH01/001/CH01-001.srt", "srt")
    (hv.ws / SRT).unlink()
    (hv.ws / SRT).symlink_to(srt_target)  # the Vault's real SRT would be replaced
    ws_before, share_before, logs_before = snapshot(hv.ws), snapshot(hv.world.share), hv.logs()

    result = hv.mirror()

    [new_log] = [p for p in hv.logs() if p not in logs_before]
    skip = os.path.relpath(new_log, hv.ws)
    assert snapshot(hv.ws, (skip,)) == ws_before
    assert snapshot(hv.world.share) == share_before
    log = json.loads(new_log.read_text())
    assert WAV in log["samples"]["creates"] and SRT in log["samples"]["updates"]
    assert f"    create  {WAV}" in result.out and f"    update  {SRT}" in result.out

    hv.mirror("--run")  # the dry-run's summary is what the run then does
    assert_portable(hv, WAV, b"wav")
    assert_portable(hv, SRT, b"srt")


def test_undo_of_the_mirror_puts_back_the_vault_file_a_link_replaced(hv, cli) -> None:
    (hv.ws / WAV).write_bytes(WAV_BYTES)
    hv.mirror("--run")  # the Vault gets the real WAV
    assert not (hv.vault / WAV).is_symlink()
    store_symlink_back(hv, WAV)
    vault_before = snapshot(hv.vault)

    data = hv.mirror("--run", "--json").json()
    run_id = data["run_id"]
    assert_portable(hv, WAV, WAV_BYTES)
    kept = hv.world.share / "ytm_mirror_backups" / run_id / WAV
    assert kept.read_bytes() == WAV_BYTES and not kept.is_symlink()
    assert WAV in hv.last_log()["samples"]["updates"]

    undo = cli("undo", run_id, "--run")
    assert undo.code == 0, undo.out + undo.err
    after = snapshot(hv.vault)
    assert after[WAV] == vault_before[WAV]
    assert not (hv.vault / WAV).is_symlink()
    assert {rel: after.get(rel) for rel in vault_before} == vault_before
    # The portable link that stood there is kept in the undo's own folder, not deleted.
    undo_id = undo.out.rsplit("undo run ", 1)[1].split(":", 1)[0]
    assert (hv.world.share / "ytm_mirror_backups" / undo_id / WAV).is_symlink()


def test_a_relative_link_into_the_share_is_mirrored_and_kept_like_an_absolute_one(hv) -> None:
    target = hv.put(hv.world.shared_base / "audio_final/CH01/001/CH01-001.wav", "wav")
    (hv.ws / WAV).symlink_to(os.path.relpath(target, (hv.ws / WAV).parent))  # ../../…/share/…
    (hv.ws / SRT).unlink()
    (hv.ws / SRT).symlink_to(hv.world.shared_base / "audio_final/CH01/001/CH01-001.wav")

    hv.mirror("--run")
    first = {rel: assert_portable(hv, rel, b"wav") for rel in (WAV, SRT)}
    hv.mirror("--run")  # nothing to do: neither link is deleted, replaced or written again

    assert {rel: assert_portable(hv, rel, b"wav") for rel in (WAV, SRT)} == first
    log = hv.last_log()
    assert {x["change"] for x in log["links"]["portable"]} == {"same"}
    assert not {WAV, SRT} & {rel for kind in log["samples"].values() for rel in kind}


def test_the_walks_cache_stays_on_this_host(hv, monkeypatch) -> None:
    from ytm_doctor.mirror import linkwalk

    monkeypatch.setattr(linkwalk, "RACY_SEC", -3600)  # a test's folders are all seconds old
    hv.mirror("--run")
    hv.mirror("--run")
    cache = "logs/ops/ytm_doctor/mirror_links.cache"
    assert (hv.ws / cache).is_file()
    assert not os.path.lexists(hv.vault / cache)
    links = hv.last_log()["links"]
    assert links["folders"] >= links["folders_listed"] > 0
