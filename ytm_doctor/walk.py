"""The scan engine's one shared walk (SPEC §9).

Each root is walked once, streaming, with lstat semantics (a symlink is reported as a link and
never followed), and every entry is handed to the checks that subscribed to its root, kind and
subtree. Nothing is kept per entry, so memory does not grow with the size of the tree.
Unreadable directories are reported through `on_error`; entries that vanish mid-walk are
skipped; non-UTF-8 names travel as surrogate-escaped str.

On a network filesystem, listing directories one at a time leaves the walk waiting on round
trips; `threads > 1` lists several directories at once while the main thread dispatches. On a
local disk the walk is bound by this thread's CPU instead: walk_fork lists the later roots in a
child process meanwhile.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ytm_doctor.model import Check, Entry, Finding, Subscription

KINDS = ("file", "dir", "link", "other")

# (name, path, kind, (link text, target state) for a probed link else None)
ProbedListing = list[tuple[str, str, str, "tuple[str | None, str] | None"]]
ProgressCallback = Callable[[int], None]
# How often (in entries) the walk reports its count; checked once per directory, so the hot
# loop pays nothing per entry for it.
PROGRESS_EVERY = 4096
# Directories queued per listing thread: enough that no worker idles while the main thread
# dispatches, few enough that the listings waiting in memory stay small.
PREFETCH_PER_THREAD = 4


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
    # Bumped by every change, so that a walk drops the plans it made from the old pairs.
    generation: int = 0

    def add(self, check: Check, sub: Subscription) -> None:
        for kind in sub.kinds:
            self.by_kind[kind].append((check, sub))
        self.generation += 1

    def remove(self, check: Check) -> None:
        # In place: the walk holds these very lists.
        for kind in KINDS:
            self.by_kind[kind][:] = [(c, s) for c, s in self.by_kind[kind] if c is not check]
        self.generation += 1

    def __bool__(self) -> bool:
        return any(self.by_kind.values())


# Per entry kind, the checks that visit the entries of one directory, in subscription order;
# each with None (every entry) or the names of the only entries it wants (a subscription whose
# subtree is one of this directory's entries).
Visitors = tuple[tuple[Check, "frozenset[str] | None"], ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """Who visits the entries of one directory. Made once per subtree rather than tested per
    entry: a subscription's `under` is decided by the directory an entry is in."""

    generation: int
    links: Visitors
    dirs: Visitors
    files: Visitors
    others: Visitors
    # Some subscription's subtree starts further down: each child directory needs its own plan.
    # Otherwise the children share this one (the case everywhere but near the roots).
    open: bool

    def visitors(self, kind: str) -> Visitors:
        """Who visits this directory's entries of `kind`."""
        if kind == "link":
            return self.links
        if kind == "dir":
            return self.dirs
        if kind == "file":
            return self.files
        return self.others


def _plan_for(subscribers: Subscribers, drel: str) -> _Plan:
    """The plan of the directory at root-relative `drel` ("" for a root without a prefix)."""
    decided: dict[Subscription, frozenset[str] | bool | None] = {}
    is_open = False
    lists: dict[str, Visitors] = {}
    for kind in KINDS:
        visitors = []
        for check, sub in subscribers.by_kind[kind]:
            if sub not in decided:
                decided[sub], below = _decide(sub, drel)
                is_open = is_open or below
            wants = decided[sub]
            if wants is not False:
                visitors.append((check, wants))
        lists[kind] = tuple(visitors)
    return _Plan(
        subscribers.generation,
        links=lists["link"],
        dirs=lists["dir"],
        files=lists["file"],
        others=lists["other"],
        open=is_open,
    )


def _decide(sub: Subscription, drel: str) -> tuple[frozenset[str] | bool | None, bool]:
    """For the entries of directory `drel`: None (all of them), the names wanted, or False
    (none); and whether one of the subscription's subtrees lies below `drel`. The same answers
    as Subscription.wants on each entry's relative path."""
    if not sub.under:
        return None, False
    prefix = drel + "/" if drel else ""
    names = set()
    below = False
    for u in sub.under:
        if drel and (drel == u or drel.startswith(u + "/")):
            return None, False
        if u.startswith(prefix) and len(u) > len(prefix):
            below = True
            rest = u[len(prefix) :]
            if "/" not in rest:
                names.add(rest)
    return (frozenset(names) if names else False), below


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
    root_name = root.name
    entries = 0
    next_progress = PROGRESS_EVERY
    # (path, rel, plan): a directory still to list, and the plan it shares with its parent
    # (None: make its own).
    stack: list[tuple[str, str, _Plan | None]] = [(root.path, root.rel_prefix, None)]
    # The hot loop: one pass over each directory, kinds from d_type where the OS gives it, no
    # per-entry work beyond that unless some check visits the entry's kind in this directory.
    # Who visits what is decided per directory (_Plan), not per entry; an entry's relative path
    # and Entry object are only built when some check visits it.
    while stack:
        if progress is not None and entries >= next_progress:  # per directory, not per entry
            progress(entries)
            next_progress = entries + PROGRESS_EVERY
        dpath, drel, plan = stack.pop()
        if plan is None or plan.generation != subscribers.generation:
            plan = _plan_for(subscribers, drel)
        links, dirs, files, others = plan.links, plan.dirs, plan.files, plan.others
        child_plan = None if plan.open else plan
        stats.dirs += 1
        prefix = drel + "/" if drel else ""
        try:
            with os.scandir(dpath) as it:
                for de in it:
                    entries += 1
                    try:
                        # Plain files first: most entries are, and for them this one test
                        # (d_type, no lstat) is all the walk does when no check wants files.
                        if de.is_file(follow_symlinks=False):
                            if not files:
                                continue
                            kind, visitors = "file", files
                        elif de.is_dir(follow_symlinks=False):
                            stack.append((de.path, prefix + de.name, child_plan))
                            kind, visitors = "dir", dirs
                        elif de.is_symlink():
                            kind, visitors = "link", links
                        else:
                            kind, visitors = "other", others
                    except OSError:  # vanished between readdir and lstat
                        continue
                    if visitors:
                        name = de.name
                        _visit(
                            Entry(root_name, prefix + name, de.path, name, kind),
                            visitors,
                            ctx,
                            emit,
                            on_check_error,
                        )
                        if plan.generation != subscribers.generation:
                            # A check failed and was dropped: the rest of the walk goes on
                            # without it, from the next entry on.
                            plan = _plan_for(subscribers, drel)
                            links, dirs = plan.links, plan.dirs
                            files, others = plan.files, plan.others
                            child_plan = None if plan.open else plan
        except FileNotFoundError:
            continue  # vanished since its parent was listed
        except OSError as exc:
            stats.errors += 1
            on_error(root, drel or ".", exc)
    stats.entries = entries
    return stats


def _visit(entry: Entry, visitors: Visitors, ctx, emit, on_check_error) -> None:
    name = entry.name
    for check, names in visitors:
        if names is not None and name not in names:
            continue
        try:
            found = check.visit(entry, ctx)
            if found:
                emit(check, list(found))
        except Exception as exc:
            on_check_error(check, exc, entry)


class _ProbedEntry(Entry):
    """A link entry whose target text and target state a listing worker already read: checks
    that ask for them (several do, per link) pay no further round trip on the main thread."""

    __slots__ = ("_state", "_target")

    def readlink(self) -> str | None:
        return self._target

    def target_state(self) -> str:
        return self._state


def _probe_link(path: str) -> tuple[str | None, str]:
    """What Entry.readlink() and Entry.target_state() say of the link at `path`, read now."""
    probe = Entry("", "", path, "", "link")
    return probe.readlink(), probe.target_state()


def _list_dir_probed(path: str, probe_links: bool) -> ProbedListing:
    """One directory, each link probed too when `probe_links` (a check subscribed to links)."""
    out: ProbedListing = []
    with os.scandir(path) as it:
        for de in it:
            try:
                kind = _kind_of(de)
            except OSError:  # vanished between readdir and lstat
                continue
            probe = _probe_link(de.path) if probe_links and kind == "link" else None
            out.append((de.name, de.path, kind, probe))
    return out


def _walk_threaded(
    root, subscribers, ctx, emit, on_check_error, on_error, threads, progress=None
) -> WalkStats:
    """Workers list directories (and probe links) while the main thread dispatches whichever
    listing is ready first: on a network filesystem each listing is several round trips, so
    `threads` of them overlap and the main thread never waits behind one slow directory.
    Checks still run on the main thread only, one entry at a time, as in the serial walk."""
    stats = WalkStats()
    next_progress = PROGRESS_EVERY
    by_kind = subscribers.by_kind
    probe_links = bool(by_kind["link"])
    todo: list[tuple[str, str]] = [(root.path, root.rel_prefix)]
    # Imported here: a local walk needs no threads, and concurrent.futures brings in logging,
    # a fiftieth of a small scan's start-up.
    import queue
    from concurrent.futures import ThreadPoolExecutor

    done: queue.SimpleQueue = queue.SimpleQueue()
    limit = threads * PREFETCH_PER_THREAD  # bounded: memory stays flat on any tree
    pending = 0

    def work(dpath: str, drel: str) -> None:
        try:
            done.put((drel, _list_dir_probed(dpath, probe_links), None))
        except BaseException as exc:  # handed to the main thread, never lost in a worker
            done.put((drel, None, exc))

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ytm-walk")
    try:
        while todo or pending:
            while todo and pending < limit:
                dpath, drel = todo.pop()
                pool.submit(work, dpath, drel)
                pending += 1
            if progress is not None and stats.entries >= next_progress:
                progress(stats.entries)
                next_progress = stats.entries + PROGRESS_EVERY
            drel, listing, exc = done.get()
            pending -= 1
            stats.dirs += 1
            if exc is not None:
                if isinstance(exc, FileNotFoundError):
                    continue  # vanished since its parent was listed
                if not isinstance(exc, OSError):
                    raise exc
                stats.errors += 1
                on_error(root, drel or ".", exc)
                continue
            prefix = drel + "/" if drel else ""
            # The same per-directory plans as the serial walk (a listing's order of arrival
            # is not its parent's, so each directory makes its own).
            plan = _plan_for(subscribers, drel)
            for name, path, kind, probe in listing:
                stats.entries += 1
                if kind == "dir":
                    todo.append((path, prefix + name))
                visitors = plan.visitors(kind)
                if not visitors:
                    continue
                if probe is None:
                    entry = Entry(root.name, prefix + name, path, name, kind)
                else:
                    entry = _ProbedEntry(root.name, prefix + name, path, name, kind)
                    entry._target, entry._state = probe
                _visit(entry, visitors, ctx, emit, on_check_error)
                if plan.generation != subscribers.generation:
                    plan = _plan_for(subscribers, drel)  # a check failed and was dropped
    finally:
        # On Ctrl-C or an error, directories not yet started are dropped, not listed.
        pool.shutdown(wait=True, cancel_futures=True)
    return stats
