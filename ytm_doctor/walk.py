"""The scan engine's one shared walk (SPEC §9).

Each root is walked once, streaming, with lstat semantics (a symlink is reported as a link and
never followed), and every entry is handed to the checks that subscribed to its root, kind and
subtree. Nothing is kept per entry, so memory does not grow with the size of the tree.
Unreadable directories are reported through `on_error`; entries that vanish mid-walk are
skipped; non-UTF-8 names travel as surrogate-escaped str.

On a network filesystem, listing directories one at a time leaves the walk waiting on round
trips; `threads > 1` lists several directories at once while the main thread dispatches.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from ytm_doctor.model import Check, Entry, Finding, Subscription

KINDS = ("file", "dir", "link", "other")

Listing = list[tuple[str, str, str]]  # (name, path, kind)
ProgressCallback = Callable[[int], None]
# How often (in entries) the walk reports its count; checked once per directory, so the hot
# loop pays nothing per entry for it.
PROGRESS_EVERY = 4096


@dataclass(frozen=True)
class WalkRoot:
    name: str  # the root name findings use: workspace, vault, share, ...
    path: str  # absolute directory to walk
    rel_prefix: str = ""  # prefix of reported relative paths (asset_vault is reported under share)


@dataclass
class WalkStats:
    entries: int = 0
    dirs: int = 0
    errors: int = 0


@dataclass
class Subscribers:
    """For one root: the (check, subscription) pairs per entry kind."""

    by_kind: dict[str, list[tuple[Check, Subscription]]] = field(
        default_factory=lambda: {k: [] for k in KINDS}
    )

    def add(self, check: Check, sub: Subscription) -> None:
        for kind in sub.kinds:
            self.by_kind[kind].append((check, sub))

    def remove(self, check: Check) -> None:
        # In place: the walk holds these very lists.
        for kind in KINDS:
            self.by_kind[kind][:] = [(c, s) for c, s in self.by_kind[kind] if c is not check]

    def __bool__(self) -> bool:
        return any(self.by_kind.values())


Emit = Callable[[Check, Iterable[Finding]], None]
OnCheckError = Callable[[Check, BaseException, Entry], None]
OnWalkError = Callable[[WalkRoot, str, OSError], None]


def _kind_of(de: os.DirEntry) -> str:
    if de.is_symlink():
        return "link"
    if de.is_dir(follow_symlinks=False):
        return "dir"
    if de.is_file(follow_symlinks=False):
        return "file"
    return "other"


def _list_dir(path: str) -> Listing:
    out: Listing = []
    with os.scandir(path) as it:
        for de in it:
            try:
                out.append((de.name, de.path, _kind_of(de)))
            except OSError:  # vanished between readdir and lstat
                continue
    return out


def walk_root(
    root: WalkRoot,
    subscribers: Subscribers,
    ctx: object,
    emit: Emit,
    on_check_error: OnCheckError,
    on_error: OnWalkError,
    threads: int = 1,
    progress: ProgressCallback | None = None,
) -> WalkStats:
    """Walk `root` once and dispatch every entry; returns counts. `progress`, when given, is
    called with the running entry count between directories, every PROGRESS_EVERY entries."""
    if threads > 1:
        return _walk_threaded(
            root, subscribers, ctx, emit, on_check_error, on_error, threads, progress
        )
    stats = WalkStats()
    by_kind = subscribers.by_kind
    links, dirs, files, others = (by_kind[k] for k in ("link", "dir", "file", "other"))
    want_plain = bool(files or others)
    stack = [(root.path, root.rel_prefix)]
    entries = 0
    next_progress = PROGRESS_EVERY
    # The hot loop: one pass over each directory, kinds from d_type where the OS gives it, no
    # per-entry work beyond that unless some check subscribed to the entry's kind.
    while stack:
        if progress is not None and entries >= next_progress:  # per directory, not per entry
            progress(entries)
            next_progress = entries + PROGRESS_EVERY
        dpath, drel = stack.pop()
        stats.dirs += 1
        prefix = drel + "/" if drel else ""
        try:
            with os.scandir(dpath) as it:
                for de in it:
                    entries += 1
                    try:
                        if de.is_symlink():
                            kind, subs = "link", links
                        elif de.is_dir(follow_symlinks=False):
                            stack.append((de.path, prefix + de.name))
                            kind, subs = "dir", dirs
                        elif want_plain:
                            if de.is_file(follow_symlinks=False):
                                kind, subs = "file", files
                            else:
                                kind, subs = "other", others
                        else:
                            continue
                    except OSError:  # vanished between readdir and lstat
                        continue
                    if subs:
                        name = de.name
                        _dispatch(
                            root,
                            prefix + name,
                            de.path,
                            name,
                            kind,
                            subs,
                            ctx,
                            emit,
                            on_check_error,
                        )
        except FileNotFoundError:
            continue  # vanished since its parent was listed
        except OSError as exc:
            stats.errors += 1
            on_error(root, drel or ".", exc)
    stats.entries = entries
    return stats


def _dispatch(root, rel, path, name, kind, subs, ctx, emit, on_check_error) -> None:
    entry = None
    for check, sub in list(subs):
        if sub.under and not sub.wants(rel):
            continue
        if entry is None:
            entry = Entry(root.name, rel, path, name, kind)
        try:
            found = check.visit(entry, ctx)
            if found:
                emit(check, list(found))
        except Exception as exc:
            on_check_error(check, exc, entry)


def _walk_threaded(
    root, subscribers, ctx, emit, on_check_error, on_error, threads, progress=None
) -> WalkStats:
    stats = WalkStats()
    next_progress = PROGRESS_EVERY
    by_kind = subscribers.by_kind
    todo: list[tuple[str, str]] = [(root.path, root.rel_prefix)]
    inflight: deque[tuple[str, Future]] = deque()
    limit = threads * 4  # bounded prefetch keeps memory flat
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ytm-walk") as pool:
        while todo or inflight:
            while todo and len(inflight) < limit:
                dpath, drel = todo.pop()
                inflight.append((drel, pool.submit(_list_dir, dpath)))
            if progress is not None and stats.entries >= next_progress:
                progress(stats.entries)
                next_progress = stats.entries + PROGRESS_EVERY
            drel, future = inflight.popleft()
            stats.dirs += 1
            try:
                listing = future.result()
            except FileNotFoundError:
                continue
            except OSError as exc:
                stats.errors += 1
                on_error(root, drel or ".", exc)
                continue
            for name, path, kind in listing:
                stats.entries += 1
                if kind == "dir":
                    todo.append((path, f"{drel}/{name}" if drel else name))
                subs = by_kind[kind]
                if subs:
                    rel = f"{drel}/{name}" if drel else name
                    _dispatch(root, rel, path, name, kind, subs, ctx, emit, on_check_error)
    return stats
