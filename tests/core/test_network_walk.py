"""The Vault over a real network filesystem: fuse.sshfs over loopback through a delaying proxy
(benchmarks/netmount.py, the network benchmark's own mount), scanned single-threaded and with
the thread count chosen for network filesystems. No timing is asserted: the benchmark measures.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_scan import build_side
from netmount import LoopbackSshfs, loopback_sshfs, missing_tools

WHY_NOT = missing_tools()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=f"no loopback sshfs: {WHY_NOT}")

EXTRA_LINKS = {
    # one of each kind of link the Vault's link checks tell apart
    "abs.png": "/nowhere/at/all.png",  # absolute: YTM202 (and dangling, which YTM301 leaves)
    "loop.png": "loop.png",  # YTM302
    "ok.png": "0001.png",  # resolves: no finding
    "old.symlink_shared_backup_20260101T000000Z": "0002.png",  # residue: YTM303
}


Mounted = tuple[Path, str, LoopbackSshfs]


@pytest.fixture(scope="module")
def sshfs_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mounted]:
    """A Vault of about 2,000 entries on the local side, mounted over sshfs: (workspace, the
    run folder holding the extra links, the mount)."""
    base = Path(os.path.realpath(tmp_path_factory.mktemp("netwalk")))
    ws, share = base / "ws", base / "share"
    ws.mkdir()
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    build_side(share / "ytm_workspaces", 2000, random.Random(7))
    [first] = (share / "ytm_workspaces" / "video" / "runs").glob("*__000000")
    run = f"video/runs/{first.name}/images"
    for name, target in EXTRA_LINKS.items():
        os.symlink(target, share / "ytm_workspaces" / run / name)
    with loopback_sshfs(share, base / "mnt", delay_ms=1.0) as mount:
        yield ws, run, mount


def scan(cli, ws: Path, mount: LoopbackSshfs, *extra: str) -> dict:
    result = cli(
        "--workspace-root",
        ws,
        "--share-root",
        mount.path,
        "--set",
        "disk.stop_free_gib=0",
        "--set",
        "disk.warn_free_gib=0",
        "--json",
        "--no-save",
        *extra,
    )
    assert result.code in (0, 1), result.err
    return result.json()


def test_threaded_walk_over_sshfs_finds_what_a_serial_walk_finds(
    sshfs_vault, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, run, mount = sshfs_vault
    monkeypatch.chdir(ws)
    serial = scan(cli, ws, mount, "--set", "scan.threads=1")
    mount.remount()  # the threaded scan starts cold too, as the benchmark's scans do
    auto = scan(cli, ws, mount)

    share = auto["config"]["share"]
    assert (share["status"], share["fstype"], share["network"]) == ("online", "fuse.sshfs", True)
    assert serial["config"]["walks"]["vault"]["threads"] == 1
    assert auto["config"]["walks"]["vault"]["threads"] > 1  # chosen for the network mount
    assert auto["config"]["walks"]["workspace"]["threads"] == 1  # a local disk stays serial
    for key in ("entries", "dirs", "errors"):
        assert auto["config"]["walks"]["vault"][key] == serial["config"]["walks"]["vault"][key]

    def findings(report: dict) -> list[tuple]:
        return sorted(
            (f["rule"], f["root"], f["path"], f["message"], f["fingerprint"])
            for f in report["findings"]
        )

    assert findings(auto) == findings(serial)
    vault = [(f["rule"], f["path"]) for f in auto["findings"] if f["root"] == "vault"]
    runs = len(os.listdir(mount.served / "ytm_workspaces" / "video" / "runs"))
    # Every run's first image is a dangling link, seen through the mount by the threaded walk.
    assert sum(rule == "YTM301" for rule, _ in vault) == runs
    assert ("YTM202", f"{run}/abs.png") in vault
    assert ("YTM302", f"{run}/loop.png") in vault
    assert ("YTM303", f"{run}/old.symlink_shared_backup_20260101T000000Z") in vault
    assert not any(path == f"{run}/ok.png" for _, path in vault)
