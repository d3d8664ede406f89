"""What the mirror replaces is kept: every file a real mirror run deletes or overwrites on the
Vault is moved by rsync (`--backup --backup-dir`) into `<share>/ytm_mirror_backups/<run_id>/`,
beside the mirrored tree and never inside it, in the Vault's own layout. Undo of that run moves
each kept file back (what stands in its place now is kept in the undo's own folder first), and
folders older than `mirror.backup_keep_days` are pruned when a later mirror starts; nothing
younger is ever pruned.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field

from ytm_doctor.clock import parse_file_stamp

BACKUP_ROOT = "ytm_mirror_backups"  # under the share root, outside ytm_workspaces/
DAY = 86400


def backup_rel(run_id: str) -> str:
    """The share-relative folder that keeps what run `run_id` replaced."""
    return f"{BACKUP_ROOT}/{run_id}"


def _run_time(name: str, folder: str) -> float:
    """When the run that filled `folder` started: from its run id's stamp, else its mtime."""
    moment = parse_file_stamp(name[:16])
    return moment.timestamp() if moment is not None else os.lstat(folder).st_mtime


def prune_backups(share_root: str, keep_days: int, now: float | None = None) -> list[str]:
    """Remove the backup folders of runs older than `keep_days` (0: keep forever); returns
    their names. A folder that cannot be removed is left for the next run."""
    root = os.path.join(share_root, BACKUP_ROOT)
    if keep_days <= 0 or not os.path.isdir(root):
        return []
    limit = (time.time() if now is None else now) - keep_days * DAY
    pruned = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if not entry.is_dir(follow_symlinks=False):
            continue
        if _run_time(entry.name, entry.path) < limit:
            try:
                shutil.rmtree(entry.path)
            except OSError:
                continue
            pruned.append(entry.name)
    return pruned


def backups_size(share_root: str) -> tuple[int, int]:
    """(folders, bytes) kept under the backup root."""
    root = os.path.join(share_root, BACKUP_ROOT)
    folders = total = 0
    if not os.path.isdir(root):
        return 0, 0
    for entry in os.scandir(root):
        if entry.is_dir(follow_symlinks=False):
            folders += 1
            for dirpath, _dirs, files in os.walk(entry.path):
                for name in files:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
    return folders, total


@dataclass
class Restored:
    restored: int = 0
    set_aside: int = 0  # files that stood where a kept one went back, now kept in `aside`
    problems: list[str] = field(default_factory=list)


def restore_backup(backup: str, vault: str, aside: str) -> Restored:
    """Move every file and link kept in `backup` back to its place under `vault`. Whatever is
    at that place now is first moved to the same place under `aside` (kept, not deleted).
    Renames only: the backup folder and the Vault are on the same share."""
    done = Restored()
    for dirpath, dirs, files in os.walk(backup):
        rel_dir = os.path.relpath(dirpath, backup)
        names = files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]
        for name in sorted(names):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            _put_back(os.path.join(dirpath, name), rel, vault, aside, done)
    _remove_empty_dirs(backup)
    return done


def _put_back(kept: str, rel: str, vault: str, aside: str, done: Restored) -> None:
    dest = os.path.join(vault, rel)
    parent = os.path.dirname(dest)
    if os.path.islink(parent) or (os.path.lexists(parent) and not os.path.isdir(parent)):
        done.problems.append(f"{rel}: its folder on the Vault is not a folder now; left kept")
        return
    os.makedirs(parent, exist_ok=True)
    real_vault = os.path.realpath(vault)
    if not (os.path.realpath(parent) + os.sep).startswith(real_vault.rstrip(os.sep) + os.sep):
        done.problems.append(f"{rel}: its folder on the Vault leads elsewhere; left kept")
        return
    if os.path.lexists(dest):
        moved = os.path.join(aside, rel)
        os.makedirs(os.path.dirname(moved), exist_ok=True)
        os.rename(dest, moved)
        done.set_aside += 1
    os.rename(kept, dest)
    done.restored += 1


def _remove_empty_dirs(top: str) -> None:
    for dirpath, _dirs, _files in os.walk(top, topdown=False):
        with contextlib.suppress(OSError):  # not empty: something could not go back
            os.rmdir(dirpath)
