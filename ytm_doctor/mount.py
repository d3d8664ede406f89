"""What state the share is in: online, degraded, a stub, or not mounted (SPEC §4, seed 000 §1.1).

Reading only: the scan never writes to the share to probe it; writability is os.access().
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ytm_doctor.paths import Paths, is_under

# Filesystems whose data lives on another machine: a draft on one of these is not local.
NETWORK_FS = frozenset(
    {
        "cifs",
        "smbfs",
        "smb3",
        "smb2",
        "nfs",
        "nfs4",
        "afpfs",
        "webdav",
        "davfs",
        "fuse.sshfs",
        "sshfs",
        "fuse.rclone",
        "9p",
        "ncpfs",
        "fuse.smbnetfs",
        "fuse.gvfsd-fuse",
    }
)


# macFUSE reports every FUSE filesystem under one name; an sshfs mount shows itself there only
# by its source, `user@host:path` (on Linux the type says it: fuse.sshfs).
GENERIC_FUSE = frozenset({"macfuse", "osxfuse", "fuse"})
REMOTE_SOURCE = re.compile(r"[^/\s:]+:")


@dataclass(frozen=True)
class MountInfo:
    mountpoint: str
    fstype: str
    device: str

    @property
    def network(self) -> bool:
        fstype = self.fstype.lower()
        if fstype in NETWORK_FS:
            return True
        return fstype in GENERIC_FUSE and REMOTE_SOURCE.match(self.device) is not None


# Linux lists its mounts in /proc/self/mounts, the file psutil reads there too. Reading it here
# spares every scan psutil's import (some 15 ms of a scan's start-up); other systems ask psutil.
PROC_MOUNTS = "/proc/self/mounts"
_OCTAL_ESCAPE = re.compile(rb"\\([0-7]{3})")


def mount_table() -> list[MountInfo]:
    if sys.platform.startswith("linux"):
        try:
            with open(PROC_MOUNTS, "rb") as fh:
                return proc_mounts(fh.read())
        except OSError:
            pass  # no /proc (a chroot, a sandbox): psutil knows where else to look
    import psutil  # ~20 ms to import: only where a mount table is read

    try:
        parts = psutil.disk_partitions(all=True)
    except (OSError, RuntimeError):
        return []
    return [MountInfo(p.mountpoint, p.fstype, p.device) for p in parts]


def proc_mounts(data: bytes) -> list[MountInfo]:
    """The mounts of a /proc/self/mounts text: `device mountpoint fstype options 0 0` per line,
    a space, tab, newline or backslash inside a field written as an octal escape (`\\040`);
    names decoded as every path here is (os.fsdecode), as psutil decodes them."""
    table = []
    for line in data.split(b"\n"):
        fields = line.split(b" ")
        if len(fields) >= 3:
            device, mountpoint, fstype = (_unescape(f) for f in fields[:3])
            table.append(MountInfo(mountpoint, fstype, device))
    return table


def _unescape(field: bytes) -> str:
    if b"\\" in field:
        field = _OCTAL_ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), field)
    return os.fsdecode(field)


def mount_of(path: os.PathLike | str, table: list[MountInfo]) -> MountInfo | None:
    """The mount holding `path`: the longest mount point that is a prefix of its real path."""
    real = os.path.realpath(path)
    best: MountInfo | None = None
    for info in table:
        mp = info.mountpoint.rstrip(os.sep) or os.sep
        if is_under(real, mp) and (best is None or len(mp) > len(best.mountpoint.rstrip(os.sep))):
            best = info
    return best


@dataclass
class ShareState:
    root: Path
    exists: bool
    stub: bool
    is_mount: bool
    require_mount: bool
    fstype: str | None
    network: bool
    problems: list[str] = field(default_factory=list)  # degraded reasons, when mounted

    @property
    def mounted(self) -> bool:
        """Reachable and not a stub: the share (not a placeholder) is at the root."""
        return self.exists and not self.stub and (self.is_mount or not self.require_mount)

    @property
    def online(self) -> bool:
        """Mounted; checks of the Vault's contents may run (they may still find it degraded)."""
        return self.mounted

    @property
    def status(self) -> str:
        if not self.exists:
            return "missing"
        if self.stub:
            return "stub"
        if not self.mounted:
            return "unmounted"
        return "degraded" if self.problems else "online"

    def to_json(self) -> dict:
        return {
            "root": str(self.root),
            "status": self.status,
            "stub": self.stub,
            "is_mount": self.is_mount,
            "fstype": self.fstype,
            "network": self.network,
            "problems": list(self.problems),
        }


def share_state(
    paths: Paths, require_mount: bool, table: list[MountInfo] | None = None
) -> ShareState:
    root = paths.share_root
    exists = root.is_dir()
    stub = exists and paths.stub_marker.exists()
    is_mount = exists and os.path.ismount(root)
    info = mount_of(root, mount_table() if table is None else table) if exists else None
    state = ShareState(
        root=root,
        exists=exists,
        stub=stub,
        is_mount=is_mount,
        require_mount=require_mount,
        fstype=info.fstype if info and is_mount else None,
        network=bool(info and is_mount and info.network),
    )
    if state.mounted:
        for label, path in (
            (f"uploads/{paths.namespace}/", paths.shared_base),
            ("ytm_workspaces/", paths.vault_workspaces_root),
        ):
            if path.is_symlink() and not path.is_dir():
                state.problems.append(f"{label} is a dangling symlink")
            elif not path.is_dir():
                state.problems.append(f"{label} is missing")
            elif not os.access(path, os.W_OK | os.X_OK):
                state.problems.append(f"{label} is not writable")
    return state


def is_local_path(
    path: os.PathLike | str, paths: Paths, aliases: list[Path], table: list[MountInfo]
) -> bool:
    """SPEC §4: local when its real path is outside the share root and every host alias, and not
    on a network filesystem."""
    real = os.path.realpath(path)
    for prefix in [paths.share_root, *aliases]:
        p = os.path.normpath(os.fspath(prefix))
        if is_under(real, p) or is_under(real, os.path.realpath(p)):
            return False
    info = mount_of(real, table)
    return not (info and info.network)
