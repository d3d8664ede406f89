"""Stand-ins across commands, with the real rsync on real trees: an offline fallback or a
placeholder made while the share is down never costs the Vault its real files, is never stored
as a final artifact, stays reported until replaced, and is turned back into the real thing once
the share is back. Offline fallbacks are made from whatever is readable first."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

pytestmark = pytest.mark.skipif(shutil.which("rsync") is None, reason="needs rsync")

INPUT = "video/input/CH01/CH01-002"
VAULT_INPUT = f"share/ytm_workspaces/{INPUT}"
THUMB = "thumbnails/assets/CH02/012/v1/00_thumb.png"
REAL_PNG = b"\x89PNG\r\n\x1a\nthe real thumbnail"


def digests(root) -> set[str]:
    found = set()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                with open(path, "rb") as fh:
                    found.add(hashlib.sha256(fh.read()).hexdigest())
    return found


def share_down(factory) -> None:
    factory.stub_share()


def share_back(factory) -> None:
    os.unlink(factory.root / "share/README_MOUNTPOINT.txt")


def run(factory, *args: str, expect: int = 0):
    result = factory.cli(*args)
    assert result.code == expect, result.out + result.err
    return result


@pytest.fixture
def input_on_vault(factory):
    """Hot's video/input entry is a link to the Vault's real input files."""
    factory.write(f"{VAULT_INPUT}/0001.png", b"real input 1")
    factory.write(f"{VAULT_INPUT}/0002.png", b"real input 2")
    factory.link(f"ws/{INPUT}", factory.root / VAULT_INPUT)
    return factory


def test_an_offline_fallback_never_costs_the_vault_its_inputs(input_on_vault):
    """Share down -> fix YTM403 makes an empty fallback -> share back -> mirror --run: the
    Vault's real inputs are still there; then fix YTM403 sends what was added locally and
    puts the link back."""
    f = input_on_vault
    vault_files = {p: p.read_bytes() for p in (f.root / VAULT_INPUT).iterdir()}
    share_down(f)
    run(f, "fix", "--select", "YTM403", "--run")
    fallback = f.root / "ws" / INPUT
    assert fallback.is_dir() and not fallback.is_symlink()
    assert os.listdir(fallback) == ["README_OFFLINE_FALLBACK.txt"]
    (fallback / "0003.png").write_bytes(b"drawn while offline")

    share_back(f)
    run(f, "mirror", "--run")
    assert {p: p.read_bytes() for p in (f.root / VAULT_INPUT).iterdir()} == vault_files
    [finding] = f.findings_at("YTM403", INPUT)
    assert finding["severity"] == "info" and "offline fallback in use since" in finding["message"]

    run(f, "fix", "--select", "YTM403", "--run")
    assert os.readlink(f.root / "ws" / INPUT) == str(f.root / VAULT_INPUT)
    assert (f.root / VAULT_INPUT / "0003.png").read_bytes() == b"drawn while offline"
    assert (f.root / "ws" / INPUT / "0001.png").read_bytes() == b"real input 1"
    # Back as it was before the outage: a link into the share (a warning, not a stand-in).
    [finding] = f.findings_at("YTM403", INPUT)
    assert finding["severity"] == "warning" and "in use since" not in finding["message"]


def test_the_fallback_is_made_from_the_stubs_local_backup_when_readable(factory):
    """Share down, but the stub's ytm_workspaces links to a local backup of the Vault (inside
    the outbox root): the inputs are copied from it, not replaced by an empty dir. The Vault's
    video/_archive reachable the same way is used for an input whose own target is gone."""
    backup = factory.root / "outbox_parent/ytm_share/ytm_workspaces"
    (backup / INPUT).mkdir(parents=True)
    (backup / INPUT / "0001.png").write_bytes(b"backed up input")
    archived = "video/_archive/20260101T000000Z/video/input/CH01/CH01-003"
    (backup / archived).mkdir(parents=True)
    (backup / archived / "a.png").write_bytes(b"archived input")
    shutil.rmtree(factory.vault)
    factory.stub_share()
    os.symlink(backup, factory.vault)  # the stub's ytm_workspaces -> the local backup
    factory.world.configure(shared_storage={"fallback_root": str(backup.parent)})
    factory.link(f"ws/{INPUT}", factory.vault / INPUT)
    factory.link("ws/video/input/CH01/CH01-003", factory.vault / "video/input/CH01/CH01-003")

    run(factory, "fix", "--select", "YTM403", "--run")
    assert (factory.root / "ws" / INPUT / "0001.png").read_bytes() == b"backed up input"
    copied = factory.root / "ws/video/input/CH01/CH01-003/a.png"
    assert copied.read_bytes() == b"archived input"
    assert (backup / INPUT / "0001.png").read_bytes() == b"backed up input"  # copied, not moved


@pytest.fixture
def thumb_on_vault(factory):
    """A thumbnail projects.json selects is missing on Hot but the Vault has the real one."""
    factory.write(f"share/ytm_workspaces/{THUMB}", REAL_PNG)
    factory.write_json(
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
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": True})
    factory.write("ws/scripts/CH02/012/content/assembled_human.md", "# 台本\n")
    return factory


def test_a_placeholder_never_overwrites_the_vaults_real_thumbnail(thumb_on_vault):
    """Share down -> placeholder (YTM801) -> share back -> mirror --run: the Vault keeps its
    real image; the fix then copies it back over the placeholder."""
    f = thumb_on_vault
    share_down(f)
    run(f, "fix", "--select", "YTM801", "--run")
    placeholder = (f.root / "ws" / THUMB).read_bytes()
    assert placeholder.startswith(b"\x89PNG") and placeholder != REAL_PNG
    share_back(f)
    run(f, "mirror", "--run")
    assert (f.root / "share/ytm_workspaces" / THUMB).read_bytes() == REAL_PNG
    run(f, "fix", "--select", "YTM801", "--run")
    assert (f.root / "ws" / THUMB).read_bytes() == REAL_PNG
    assert f.scan("YTM801") == []


def test_a_placeholder_is_never_stored_as_the_final_thumbnail(thumb_on_vault):
    """After a placeholder, neither YTM705 nor `store episode` takes it as the published
    episode's final thumbnail, and `store --src` refuses it in one line."""
    f = thumb_on_vault
    share_down(f)
    run(f, "fix", "--select", "YTM801", "--run")
    share_back(f)
    [l1] = f.scan("YTM705")
    assert all(a["kind"] != "thumbnails" for a in l1["details"]["artifacts"])
    result = run(f, "store", "episode", "--channel", "CH02", "--video", "012", "--run")
    assert "is a placeholder in use since" in result.out
    assert not (f.root / "share/uploads/factory_commentary/thumbnails").exists()
    refused = run(f, "store", "--src", f"ws/{THUMB}", expect=4)
    assert refused.err.strip().endswith("not a final artifact")
    assert len(refused.err.strip().splitlines()) == 1


def test_nothing_is_lost_across_the_whole_offline_day(input_on_vault, thumb_on_vault):
    """Every file that existed before the share went down exists somewhere after the whole
    sequence (fallback, placeholder, mirror, relink, copy back)."""
    f = input_on_vault
    before = digests(f.root)
    share_down(f)
    run(f, "fix", "--select", "YTM403", "--run")
    run(f, "fix", "--select", "YTM801", "--run")
    share_back(f)
    run(f, "mirror", "--run")
    run(f, "fix", "--select", "YTM403", "--run")
    run(f, "fix", "--select", "YTM801", "--run")
    assert before <= digests(f.root)
