"""Listing the later roots in a child process while this one walks the first (Linux, local disks).

A local walk is bound by one Python thread's CPU: most of it goes to iterating directory
entries, nearly all of them plain files no check wants. With two roots or more to walk (the
workspace and the Vault) and a second core, a forked child lists the later roots while this
process walks the first one and runs its checks. The child sends back, per directory, only the
entries some check could visit there (decided by the same per-directory plans as the walk), and
this process dispatches them in the order the serial walk would have. Checks run only here, in
one thread, and see the same entries in the same order as in a serial walk: same findings.

The child runs no check, holds no lock and writes nothing but its pipe, and it always leaves
through os._exit, never through this process's `finally` blocks (which release locks). Should it
fail in any way, the roots it was to list are walked here as before. Linux only: on macOS a
fork without exec is not safe once system libraries have started threads.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from dataclasses import dataclass

from ytm_doctor.forking import can_fork, enter_child, fork, kill_and_reap, reap
from ytm_doctor.model import Entry
from ytm_doctor.walk import (
    PROGRESS_EVERY,
    OnCheckError,
    OnWalkError,
    ProgressCallback,
    Subscribers,
    WalkRoot,
    WalkStats,
    _Plan,
    _plan_for,
    _probe_link,
    _ProbedEntry,
    _visit,
)

# One directory as the child lists it: (path, relative path, index of its parent's record or
# -1, entries counted, the (name, kind, probe) of each entry some check may visit, error). A
# link's probe is (its text, its target's state), read by the child as the threaded walk's
# workers read them; other entries' is None. The error is None, VANISHED (gone since its parent
# was listed, as the serial walk skips it) or (errno, reason).
Kept = tuple[str, str, "tuple[str | None, str] | None"]
Record = tuple[str, str, int, int, tuple[Kept, ...], "tuple[int, str] | str | None"]
VANISHED = "vanished"


def list_root(root: WalkRoot, subscribers: Subscribers) -> list[Record]:
    """The child's walk of one root: walk_root's order and plans, entries kept instead of
    visited (directories only when some check visits directories there)."""
    records: list[Record] = []
    stack: list[tuple[str, str, _Plan | None, int]] = [(root.path, root.rel_prefix, None, -1)]
    while stack:
        dpath, drel, plan, parent = stack.pop()
        if plan is None:
            plan = _plan_for(subscribers, drel)
        child_plan = None if plan.open else plan
        index = len(records)
        prefix = drel + "/" if drel else ""
        kept: list[Kept] = []
        total = 0
        error: tuple[int, str] | str | None = None
        try:
            with os.scandir(dpath) as it:
                for de in it:
                    total += 1
                    try:
                        if de.is_file(follow_symlinks=False):
                            if plan.files:
                                kept.append((de.name, "file", None))
                        elif de.is_dir(follow_symlinks=False):
                            stack.append((de.path, prefix + de.name, child_plan, index))
                            if plan.dirs:
                                kept.append((de.name, "dir", None))
                        elif de.is_symlink():
                            if plan.links:
                                # Probed here, on the second core: the link checks ask each
                                # link's text and target, two system calls the parent spares.
                                kept.append((de.name, "link", _probe_link(de.path)))
                        elif plan.others:
                            kept.append((de.name, "other", None))
                    except OSError:  # vanished between readdir and lstat
                        continue
        except FileNotFoundError:
            error = VANISHED
        except OSError as exc:
            error = (exc.errno or 0, exc.strerror or type(exc).__name__)
        records.append((dpath, drel, parent, total, tuple(kept), error))
    return records


def dispatch_listed(
    root: WalkRoot,
    records: list[Record],
    subscribers: Subscribers,
    ctx: object,
    emit,
    on_check_error: OnCheckError,
    on_error: OnWalkError,
    progress: ProgressCallback | None = None,
) -> WalkStats:
    """Hand the child's listing of `root` to the checks, as walk_root would have: the same
    directories in the same order, the same plans (made again here, so a check dropped after
    an error is not visited again), errors reported after the entries before them."""
    stats = WalkStats()
    plans: list[_Plan] = []
    entries = 0
    next_progress = PROGRESS_EVERY
    for dpath, drel, parent, total, kept, error in records:
        if progress is not None and entries >= next_progress:
            progress(entries)
            next_progress = entries + PROGRESS_EVERY
        inherited = plans[parent] if parent >= 0 else None
        plan = inherited if inherited is not None and not inherited.open else None
        if plan is None or plan.generation != subscribers.generation:
            plan = _plan_for(subscribers, drel)
        plans.append(plan)
        stats.dirs += 1
        entries += total
        prefix = drel + "/" if drel else ""
        # What os.path.join(dpath, name) and scandir's DirEntry.path give, without a call per
        # entry: the directory's path ends in a separator only when it is "/".
        folder = dpath if dpath.endswith(os.sep) else dpath + os.sep
        for name, kind, probe in kept:
            visitors = plan.visitors(kind)
            if not visitors:
                continue
            if probe is None:
                entry = Entry(root.name, prefix + name, folder + name, name, kind)
            else:
                entry = _ProbedEntry(root.name, prefix + name, folder + name, name, kind)
                entry._target, entry._state = probe
            _visit(entry, visitors, ctx, emit, on_check_error)
            if plan.generation != subscribers.generation:
                plan = plans[-1] = _plan_for(subscribers, drel)
        if error is not None and error != VANISHED:
            stats.errors += 1
            on_error(root, drel or ".", OSError(*error))
    stats.entries = entries
    return stats


@dataclass
class ListingChild:
    """A forked child listing some roots; `take` waits for its answer."""

    pid: int
    read_fd: int
    listings: dict[str, list[Record]] | None = None
    done: bool = False

    def take(self) -> dict[str, list[Record]] | None:
        """The listings by root key, or None when the child failed (walk those roots here).
        Read only now, once this process has walked its own root: the child, usually done
        before, waits on the full pipe meanwhile."""
        if not self.done:
            try:
                data = _read_all(self.read_fd)  # closes it, whatever happens
            finally:
                self.read_fd = -1
            code = reap(self.pid)
            self.done = True
            if data is not None and code == 0:
                try:
                    self.listings = marshal.loads(data)
                except (EOFError, ValueError, TypeError):
                    self.listings = None
        return self.listings

    def stop(self) -> None:
        """Ends the child if it still runs (this process is leaving early) and reaps it."""
        if self.done:
            return
        self.done = True
        if self.read_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.read_fd)
            self.read_fd = -1
        kill_and_reap(self.pid)  # nothing if take() was interrupted after its wait


def start_listing(jobs: list[tuple[str, WalkRoot, Subscribers]]) -> ListingChild | None:
    """Fork a child that lists each (key, root, subscribers) of `jobs`; None when no child can
    be forked now (the caller then walks the roots itself)."""
    if not jobs or not can_fork():
        return None
    read_fd, write_fd = os.pipe()
    _widen(write_fd)
    pid = fork()
    if pid is None:  # walk here instead
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child: never returns
        _child(read_fd, write_fd, jobs)
    os.close(write_fd)
    return ListingChild(pid, read_fd)


def _widen(fd: int) -> None:
    """A pipe as large as Linux lets us make it: each 64 KiB of the default costs a round trip
    between the two processes (tenths of a second for a big listing on a virtual machine)."""
    try:
        import fcntl

        with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as fh:
            largest = int(fh.read())
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), largest)
    except (OSError, ValueError, ImportError):
        pass  # the default size works, only slower


def _read_all(fd: int) -> bytes | None:
    chunks = []
    try:
        while data := os.read(fd, 1 << 20):
            chunks.append(data)
    except OSError:
        return None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _child(read_fd: int, write_fd: int, jobs: list[tuple[str, WalkRoot, Subscribers]]) -> None:
    """Long because everything the child does must stay inside the one try whose only ways
    out are os._exit: an exception let through would unwind into the parent's code."""
    code = 1
    try:
        os.close(read_fd)
        enter_child(keep=write_fd)
        listings = {key: list_root(root, subscribers) for key, root, subscribers in jobs}
        data = memoryview(marshal.dumps(listings))
        while data:
            data = data[os.write(write_fd, data) :]
        code = 0
    except BaseException:  # the child reports failure by its exit code only
        code = 1
    finally:
        os._exit(code)
