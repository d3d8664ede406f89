"""Where Hot's links are, found without listing every folder on every mirror.

Before rsync runs, the mirror needs every link under Hot (ytm_doctor/mirror/links.py). Listing
100,000 entries in Python costs a sizeable share of a mirror with nothing to do, while rsync
lists the same tree right after. Adding, removing or renaming an entry changes its folder's
mtime and ctime, and nothing can set a ctime back, so a folder whose inode, mtime and ctime are
what they were on the last mirror holds the same links and subfolders as then: a stat replaces
its listing. The last mirror's names are kept in `<report dir>/mirror_links.cache` (this
host's; never mirrored). A folder changed within RACY_SEC of a walk is not remembered, so a
change in the same clock tick as the listing is never missed (git's "racy" rule); a cache
that cannot be read is as good as none: every folder is listed again.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import time
from dataclasses import dataclass, field

from ytm_doctor.temps import temp_name

CACHE_NAME = "mirror_links.cache"
FORMAT = "ytm.mirror_links_cache.v1"
RACY_SEC = 3  # coarser than any clock tick of a local disk's timestamps

# rel -> ((inode, mtime_ns, ctime_ns), link names, subfolder names)
Listing = tuple[tuple[int, int, int], tuple[str, ...], tuple[str, ...]]


@dataclass
class Walk:
    links: list[tuple[str, str]] = field(default_factory=list)  # (rel, path)
    folders: int = 0  # visited
    listed: int = 0  # of them, listed (new or changed since the last mirror)


def walk_links(workspace: str, skip: set[str], cache: str | None, *, save: bool) -> Walk:
    """Every link under `workspace` (never followed), subtrees named in `skip` never entered.
    With `cache`, folders unchanged since the last walk are not listed again; with `save`,
    what this walk saw is kept there for the next (a dry-run only reads it)."""
    old = load(cache, workspace) if cache else {}
    keep = cache if save else None
    try:
        return _walk(workspace, skip, old, keep)
    except (TypeError, ValueError, IndexError):  # a cache this module did not write
        return _walk(workspace, skip, {}, keep)


def _walk(workspace: str, skip: set[str], old: dict[str, Listing], keep: str | None) -> Walk:
    new: dict[str, Listing] = {}
    racy = time.time_ns() - RACY_SEC * 1_000_000_000
    walk = Walk()
    base = workspace.rstrip(os.sep) + os.sep
    stack = [""]
    while stack:
        rel = stack.pop()
        folder = base + rel if rel else workspace  # one folder per entry: no os.path.join
        try:  # Hot's root may be a link to the disk that holds it; nothing below is followed
            st = os.stat(folder) if not rel else os.lstat(folder)
        except OSError:
            continue  # gone since its folder was listed
        if not stat.S_ISDIR(st.st_mode):
            continue
        walk.folders += 1
        key = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
        hit = old.get(rel)
        if hit is not None and hit[0] == key:
            links, dirs = hit[1], hit[2]
        else:
            found = _list(folder)
            if found is None:
                continue  # unreadable: rsync reports it (exit 23)
            links, dirs = found
            walk.listed += 1
        if max(st.st_mtime_ns, st.st_ctime_ns) < racy:
            new[rel] = (key, links, dirs)
        prefix = f"{rel}/" if rel else ""
        for name in links:
            if prefix + name not in skip:
                walk.links.append((prefix + name, os.path.join(folder, name)))
        stack += [prefix + name for name in dirs if prefix + name not in skip]
    if keep and new != old:
        store(keep, workspace, new)
    return walk


def _list(folder: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    links: list[str] = []
    dirs: list[str] = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.is_symlink():
                    links.append(entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    dirs.append(entry.name)
    except OSError:
        return None
    return tuple(links), tuple(dirs)


def load(cache: str, workspace: str) -> dict[str, Listing]:
    """The last walk's listings of `workspace`, or {} when there is none that can be read."""
    try:
        with open(cache, "rb") as fh:
            data = marshal.loads(fh.read())  # marshal.load(fh) reads object by object: slow
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(data, tuple) or len(data) != 3 or data[:2] != (FORMAT, workspace):
        return {}  # another format or another Hot root
    listings = data[2]
    return listings if isinstance(listings, dict) else {}


def store(cache: str, workspace: str, listings: dict[str, Listing]) -> None:
    """Replace the cache (temp file and rename: a reader sees the old one or the new one). Not
    fsynced: a cache lost to a crash is rebuilt by the next walk. Failing to write it only
    costs the next mirror a full listing."""
    folder, name = os.path.split(cache)
    tmp = os.path.join(folder, temp_name(name))
    try:
        with open(tmp, "xb") as fh:
            fh.write(marshal.dumps((FORMAT, workspace, listings)))
        os.replace(tmp, cache)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
