"""Share state and the mount table (SPEC §3, §4) on real temporary directories."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from ytm_doctor import mount as mount_module
from ytm_doctor.mount import MountInfo, is_local_path, mount_of, share_state
from ytm_doctor.paths import Paths


def make_paths(tmp: Path, share: Path | None = None, namespace="factory_commentary") -> Paths:
    share = share or tmp / "share"
    vault = share / "ytm_workspaces"
    return Paths(
        workspace_root=tmp / "ws",
        share_root=share,
        namespace=namespace,
        vault_workspaces_root=vault,
        asset_vault=share / "asset_vault",
        shared_base=share / "uploads" / namespace,
        sentinel=vault / ".ytm_vault_workspaces_root.json",
        stub_marker=share / "README_MOUNTPOINT.txt",
        planning_root=vault / "planning",
        planning_root_derived=True,
        fallback_root=tmp / "outbox",
        fallback_root_derived=False,
        draft_root=None,
        report_dir=tmp / "ws" / "logs" / "ops" / "ytm_doctor",
    )


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """tmp_path with symlinks resolved, so real paths and mount points compare as written."""
    return Path(os.path.realpath(tmp_path))


@pytest.fixture
def healthy(tmp: Path) -> Paths:
    paths = make_paths(tmp)
    paths.vault_workspaces_root.mkdir(parents=True)
    paths.shared_base.mkdir(parents=True)
    return paths


def deny_write(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Make `target` unwritable: chmod 555, or (as root, who may write anyway) os.access says no."""
    if os.geteuid() == 0:
        real_access = os.access

        def access(path, mode, *a, **kw):
            if os.fspath(path) == os.fspath(target) and mode & os.W_OK:
                return False
            return real_access(path, mode, *a, **kw)

        monkeypatch.setattr(os, "access", access)
    else:
        target.chmod(0o555)  # the caller restores 0o755


# --- share_state ------------------------------------------------------------------------------


def test_healthy_plain_dir_without_require_mount_is_online(healthy: Paths) -> None:
    state = share_state(healthy, require_mount=False, table=[])
    assert state.status == "online"
    assert state.mounted and state.online
    assert state.problems == []


def test_stub_marker_means_stub(healthy: Paths) -> None:
    healthy.stub_marker.write_text("the share is not mounted here")
    state = share_state(healthy, require_mount=False, table=[])
    assert state.status == "stub"
    assert state.stub is True
    assert not state.mounted and not state.online
    assert state.problems == []  # a stub is not judged as a (degraded) share


def test_stub_marker_wins_even_when_it_looks_mounted(healthy: Paths, monkeypatch) -> None:
    healthy.stub_marker.write_text("x")
    monkeypatch.setattr(os.path, "ismount", lambda p: True)
    assert share_state(healthy, require_mount=True, table=[]).status == "stub"


def test_require_mount_on_a_plain_dir_is_unmounted(healthy: Paths) -> None:
    state = share_state(healthy, require_mount=True, table=[])
    assert state.status == "unmounted"
    assert state.is_mount is False
    assert not state.online


def test_require_mount_on_a_mount_point_is_online(healthy: Paths, monkeypatch) -> None:
    root = os.fspath(healthy.share_root)
    monkeypatch.setattr(os.path, "ismount", lambda p: os.fspath(p) == root)
    table = [MountInfo("/", "ext4", "/dev/sda1"), MountInfo(root, "cifs", "//nas/share")]
    state = share_state(healthy, require_mount=True, table=table)
    assert state.status == "online"
    assert state.fstype == "cifs"
    assert state.network is True
    assert state.to_json()["fstype"] == "cifs"


def test_plain_dir_reports_no_fstype(healthy: Paths) -> None:
    state = share_state(healthy, require_mount=False, table=[MountInfo("/", "cifs", "x")])
    assert state.fstype is None  # the share root itself is not a mount: its fs says nothing
    assert state.network is False


def test_missing_share_root(tmp: Path) -> None:
    state = share_state(make_paths(tmp), require_mount=False, table=[])
    assert state.status == "missing"
    assert state.exists is False
    assert not state.online


def test_share_root_that_is_a_file_is_missing(tmp: Path) -> None:
    (tmp / "share").write_text("not a dir")
    assert share_state(make_paths(tmp), require_mount=False, table=[]).status == "missing"


def test_uploads_namespace_missing_is_degraded(tmp: Path) -> None:
    paths = make_paths(tmp, namespace="ns7")
    paths.vault_workspaces_root.mkdir(parents=True)
    (paths.share_root / "uploads").mkdir()
    state = share_state(paths, require_mount=False, table=[])
    assert state.status == "degraded"
    assert state.online  # degraded: vault checks still run
    assert state.problems == ["uploads/ns7/ is missing"]


def test_ytm_workspaces_missing_is_degraded(tmp: Path) -> None:
    paths = make_paths(tmp)
    paths.shared_base.mkdir(parents=True)
    state = share_state(paths, require_mount=False, table=[])
    assert state.status == "degraded"
    assert state.problems == ["ytm_workspaces/ is missing"]


def test_dangling_ytm_workspaces_link_is_degraded(tmp: Path) -> None:
    paths = make_paths(tmp)
    paths.shared_base.mkdir(parents=True)
    paths.vault_workspaces_root.symlink_to(tmp / "gone")
    state = share_state(paths, require_mount=False, table=[])
    assert state.problems == ["ytm_workspaces/ is a dangling symlink"]


def test_not_writable_is_degraded(healthy: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    deny_write(monkeypatch, healthy.shared_base)
    try:
        state = share_state(healthy, require_mount=False, table=[])
    finally:
        healthy.shared_base.chmod(0o755)
    assert state.status == "degraded"
    assert state.problems == ["uploads/factory_commentary/ is not writable"]


def test_both_missing_are_both_named(tmp: Path) -> None:
    paths = make_paths(tmp)
    paths.share_root.mkdir()
    state = share_state(paths, require_mount=False, table=[])
    assert state.problems == [
        "uploads/factory_commentary/ is missing",
        "ytm_workspaces/ is missing",
    ]


def test_state_json(healthy: Paths) -> None:
    healthy.stub_marker.write_text("x")
    data = share_state(healthy, require_mount=True, table=[]).to_json()
    assert data == {
        "root": str(healthy.share_root),
        "status": "stub",
        "stub": True,
        "is_mount": False,
        "fstype": None,
        "network": False,
        "problems": [],
    }


# --- mount table ------------------------------------------------------------------------------


def test_mount_of_picks_the_longest_prefix(tmp: Path) -> None:
    (tmp / "mnt" / "share" / "deep").mkdir(parents=True)
    (tmp / "mnt" / "shared").mkdir()
    table = [
        MountInfo("/", "ext4", "/dev/sda1"),
        MountInfo(str(tmp / "mnt" / "share"), "cifs", "//nas/share"),
        MountInfo(str(tmp / "mnt"), "ext4", "/dev/sdb1"),
    ]
    assert mount_of(tmp / "mnt" / "share" / "deep", table).device == "//nas/share"
    assert mount_of(tmp / "mnt" / "share", table).device == "//nas/share"
    # a sibling whose name merely starts with the mount point's is not inside it
    assert mount_of(tmp / "mnt" / "shared", table).device == "/dev/sdb1"
    assert mount_of(tmp / "elsewhere", table).device == "/dev/sda1"


def test_mount_of_trailing_slash_in_table(tmp: Path) -> None:
    table = [MountInfo("/", "ext4", "root"), MountInfo(str(tmp / "m") + "/", "nfs", "nas")]
    assert mount_of(tmp / "m" / "x", table).device == "nas"


def test_mount_of_follows_symlinks_to_the_real_path(tmp: Path) -> None:
    (tmp / "mnt" / "share" / "drafts").mkdir(parents=True)
    (tmp / "local").mkdir()
    (tmp / "local" / "draft_link").symlink_to(tmp / "mnt" / "share" / "drafts")
    table = [MountInfo("/", "ext4", "root"), MountInfo(str(tmp / "mnt" / "share"), "smbfs", "nas")]
    assert mount_of(tmp / "local" / "draft_link", table).device == "nas"


def test_mount_of_empty_table_is_none(tmp: Path) -> None:
    assert mount_of(tmp, []) is None


def test_mount_table_survives_psutil_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(all=False):
        raise OSError("no /proc")

    monkeypatch.setattr(psutil, "disk_partitions", boom)  # mount_table imports it when called
    monkeypatch.setattr(mount_module, "PROC_MOUNTS", "/nonexistent/mounts")  # Linux: psutil next
    assert mount_module.mount_table() == []


@pytest.mark.skipif(not os.path.exists("/proc/self/mounts"), reason="Linux's mount list")
def test_mount_table_is_what_psutil_reads() -> None:
    """On Linux the table is read from /proc without psutil: the same mounts, in order."""
    listed = [MountInfo(p.mountpoint, p.fstype, p.device) for p in psutil.disk_partitions(True)]
    assert mount_module.mount_table() == listed
    assert any(info.mountpoint == "/" for info in listed)


def test_mount_names_with_spaces_and_backslashes_are_unescaped() -> None:
    text = (
        b"//nas/My\\040Share /Volumes/My\\040Share cifs rw,relatime 0 0\n"
        b"user@host:/v /mnt/a\\134b\\011c fuse.sshfs rw 0 0\n"
        b"/dev/sda1 /mnt/caf\xc3\xa9\xff ext4 rw 0 0\n"
    )
    assert mount_module.proc_mounts(text) == [
        MountInfo("/Volumes/My Share", "cifs", "//nas/My Share"),
        MountInfo("/mnt/a\\b\tc", "fuse.sshfs", "user@host:/v"),
        MountInfo(os.fsdecode(b"/mnt/caf\xc3\xa9\xff"), "ext4", "/dev/sda1"),
    ]


@pytest.mark.parametrize("fstype", ["cifs", "smbfs", "nfs", "nfs4", "afpfs", "fuse.sshfs", "CIFS"])
def test_network_filesystems(fstype: str) -> None:
    assert MountInfo("/x", fstype, "d").network is True


@pytest.mark.parametrize(
    ("fstype", "device", "network"),
    [
        ("macfuse", "dd@nas.local:/volume1/share", True),  # sshfs under macFUSE
        ("osxfuse", "nas:/share", True),
        ("macfuse", "encfs", False),  # a local FUSE filesystem
        ("macfuse", "/dev/disk4s1", False),
        ("fuse", "portal", False),
    ],
)
def test_fuse_mounts_are_network_by_their_remote_source(
    fstype: str, device: str, network: bool
) -> None:
    assert MountInfo("/Volumes/x", fstype, device).network is network


@pytest.mark.parametrize("fstype", ["ext4", "apfs", "xfs", "tmpfs", "overlay"])
def test_local_filesystems(fstype: str) -> None:
    assert MountInfo("/x", fstype, "d").network is False


# --- is_local_path ----------------------------------------------------------------------------


@pytest.fixture
def local_world(tmp: Path) -> tuple[Path, Paths, list[MountInfo]]:
    (tmp / "share" / "drafts").mkdir(parents=True)
    (tmp / "local" / "drafts").mkdir(parents=True)
    (tmp / "net" / "drafts").mkdir(parents=True)
    (tmp / "share2").mkdir()
    table = [MountInfo("/", "ext4", "/dev/sda1"), MountInfo(str(tmp / "net"), "cifs", "//n/s")]
    return tmp, make_paths(tmp), table


def test_local_dir_is_local(local_world) -> None:
    tmp, paths, table = local_world
    assert is_local_path(tmp / "local" / "drafts", paths, [], table) is True


def test_under_share_root_is_not_local(local_world) -> None:
    tmp, paths, table = local_world
    assert is_local_path(tmp / "share" / "drafts", paths, [], table) is False
    assert is_local_path(tmp / "share", paths, [], table) is False


def test_share_sibling_with_common_prefix_is_local(local_world) -> None:
    tmp, paths, table = local_world
    assert is_local_path(tmp / "share2", paths, [], table) is True


def test_symlink_into_the_share_is_not_local(local_world) -> None:
    tmp, paths, table = local_world
    link = tmp / "local" / "via_link"
    link.symlink_to(tmp / "share" / "drafts")
    assert is_local_path(link, paths, [], table) is False


def test_under_a_host_alias_is_not_local(local_world) -> None:
    _tmp, paths, table = local_world
    alias = Path("/Volumes/ytm_share_alias_for_tests")
    assert is_local_path(alias / "CapCut" / "draft1", paths, [alias], table) is False
    assert is_local_path(alias / "CapCut" / "draft1", paths, [], table) is True


def test_alias_that_is_a_symlink_is_matched_by_its_real_path(local_world) -> None:
    tmp, paths, table = local_world
    (tmp / "gateway").mkdir()
    alias = tmp / "gateway" / "mnt"
    alias.symlink_to(tmp / "local")
    assert is_local_path(tmp / "local" / "drafts", paths, [alias], table) is False


def test_on_a_network_filesystem_is_not_local(local_world) -> None:
    tmp, paths, table = local_world
    assert is_local_path(tmp / "net" / "drafts", paths, [], table) is False


def test_relative_share_path_is_still_matched(local_world, monkeypatch) -> None:
    tmp, _paths, table = local_world
    monkeypatch.chdir(tmp)
    paths = make_paths(Path("."), share=Path("share"))
    assert is_local_path(tmp / "share" / "drafts", paths, [], table) is False
