"""A directory held open while something is written into it, so that a write finished by a
rename or a link lands in that very directory or nowhere.

Why: a path is confined (its directory's real path inside the configured roots) before an
action runs, and a long copy leaves time for that directory to be moved and replaced by a
symlink leading elsewhere. Every name used here is relative to a descriptor of the directory
opened when it was confined (the last step opened without following a link), and `verify`,
right before and again right after the rename or link that finishes a write, checks that the
directory's path still leads, link-free, to the directory held open. When it does not, the
write is refused, what it made is removed through the descriptor (wherever the directory went
meanwhile), and ParentChanged is raised.

Linux and macOS have every *at() call used here; where one is missing, names are joined to the
real path recorded when the directory was opened, and `verify` still refuses a swapped one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Iterator
from types import TracebackType

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_AT_CALLS = (os.open, os.stat, os.unlink, os.rmdir, os.rename, os.link, os.mkdir, os.symlink)
HAVE_AT = all(call in os.supports_dir_fd for call in _AT_CALLS) and os.listdir in os.supports_fd


class ParentChanged(OSError):
    """The directory a write was going into is no longer the one confined: it was moved, or
    replaced by a link. Nothing the write made is left in it."""

    def __init__(self, path: str) -> None:
        super().__init__(
            errno.ESTALE,
            "the directory was moved or replaced by a link while it was written into; refused, "
            "nothing was left there",
            path,
        )


class Anchor:
    """A directory opened once; names inside it are read and written relative to it."""

    def __init__(self, path: str, real: str, fd: int) -> None:
        self.path = path  # as confined (may pass through links inside the roots)
        self.real = real  # its real path when opened
        self.fd = fd

    @classmethod
    def open(cls, directory: str | os.PathLike, real: str | None = None) -> Anchor:
        """Open `directory` (whose real path is `real`, when the caller has resolved it)."""
        path = os.fspath(directory)
        real = real or os.path.realpath(path)
        fd = os.open(real, DIR_FLAGS)
        anchor = cls(path, real, fd)
        try:
            anchor.verify()  # a link swapped in above it between realpath and open
        except BaseException:
            anchor.close()
            raise
        return anchor

    def child(self, name: str) -> Anchor:
        """The subdirectory `name` of this one, opened without following a link."""
        if HAVE_AT:
            fd = os.open(name, DIR_FLAGS, dir_fd=self.fd)
        else:
            fd = os.open(self.join(name), DIR_FLAGS)
        return Anchor(os.path.join(self.path, name), os.path.join(self.real, name), fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Anchor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the check -----------------------------------------------------------------------------

    def holds(self) -> bool:
        """Whether the path still leads, through no link, to the directory held open."""
        try:
            if os.path.realpath(self.path) != self.real:
                return False
            return os.path.samestat(os.stat(self.real), os.fstat(self.fd))
        except OSError:
            return False

    def verify(self) -> None:
        if not self.holds():
            raise ParentChanged(self.path)

    # -- names in this directory ---------------------------------------------------------------

    def join(self, name: str) -> str:
        return os.path.join(self.real, name)

    def open_file(self, name: str, flags: int, mode: int = 0o600) -> int:
        flags |= NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        if HAVE_AT:
            return os.open(name, flags, mode, dir_fd=self.fd)
        return os.open(self.join(name), flags, mode)

    def lstat(self, name: str) -> os.stat_result:
        if HAVE_AT:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        return os.lstat(self.join(name))

    def lexists(self, name: str) -> bool:
        try:
            self.lstat(name)
        except FileNotFoundError:
            return False
        return True

    def unlink(self, name: str) -> None:
        if HAVE_AT:
            os.unlink(name, dir_fd=self.fd)
        else:
            os.unlink(self.join(name))

    def rmdir(self, name: str) -> None:
        if HAVE_AT:
            os.rmdir(name, dir_fd=self.fd)
        else:
            os.rmdir(self.join(name))

    def mkdir(self, name: str, mode: int = 0o777) -> None:
        if HAVE_AT:
            os.mkdir(name, mode, dir_fd=self.fd)
        else:
            os.mkdir(self.join(name), mode)

    def symlink(self, target: str, name: str) -> None:
        if HAVE_AT:
            os.symlink(target, name, dir_fd=self.fd)
        else:
            os.symlink(target, self.join(name))

    def rename(self, src: str, dst: str) -> None:
        """Rename within this directory, replacing `dst` (as os.replace)."""
        if HAVE_AT:
            os.replace(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        else:
            os.replace(self.join(src), self.join(dst))

    def link(self, src: str, dst: str) -> None:
        """A hard link of `src` (the entry itself, a symlink included) named `dst`."""
        if HAVE_AT:
            os.link(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd, follow_symlinks=False)
        else:
            os.link(self.join(src), self.join(dst), follow_symlinks=False)

    def names(self) -> list[str]:
        return os.listdir(self.fd) if HAVE_AT else os.listdir(self.real)

    def fsync(self) -> None:
        """Make renames in this directory durable; some filesystems (SMB) refuse: harmless."""
        with contextlib.suppress(OSError):
            os.fsync(self.fd)

    def remove_tree(self, name: str) -> None:
        """Remove `name` and, for a directory, all below it, never following a link."""
        if not stat.S_ISDIR(self.lstat(name).st_mode):
            self.unlink(name)
            return
        with self.child(name) as sub:
            for entry in sub.names():
                sub.remove_tree(entry)
        self.rmdir(name)

    # -- finishing a write ---------------------------------------------------------------------

    def publish(self, tmp: str, name: str, *, replace: bool = False) -> None:
        """Give the finished temp `tmp` the name `name`, only while this is still the confined
        directory. Without `replace` nothing there is replaced (FileExistsError instead): a
        hard link refuses atomically, and where there are none (some SMB servers) `name` is
        checked, then `tmp` renamed. With `replace` whatever has the name is replaced
        atomically. A swap noticed right after is undone: the name is given back to what had
        it (kept by a hard link for that moment), or removed, and ParentChanged raised."""
        self.verify()
        kept = self._keep(name) if replace else None
        try:
            if replace:
                self.rename(tmp, name)
            else:
                self._link_new(tmp, name)
            self.confirm(name, kept)
        finally:
            if kept is not None:
                with contextlib.suppress(OSError):
                    self.unlink(kept)

    def remove(self, name: str) -> None:
        """Unlink `name`, only while this is still the confined directory: it is renamed aside
        first, so a swap noticed right after gives it its name back (ParentChanged)."""
        self.verify()
        aside = self._kept_name(name)
        self.rename(name, aside)
        self.confirm(name, aside)
        self.unlink(aside)

    def confirm(self, name: str, kept: str | None = None) -> None:
        """After `name` was made or replaced here: undo that and raise ParentChanged when the
        directory is no longer the confined one (swapped between `verify` and the change)."""
        if self.holds():
            return
        with contextlib.suppress(OSError):
            if kept is not None:
                self.rename(kept, name)
            else:
                self.remove_tree(name)
        raise ParentChanged(self.path)

    def _keep(self, name: str) -> str | None:
        """A second name for what `name` is now, so a replacement can be taken back."""
        kept = self._kept_name(name)
        try:
            self.link(name, kept)
        except OSError:
            return None  # nothing there, or no hard links here: nothing to give back
        return kept

    @staticmethod
    def _kept_name(name: str) -> str:
        return f".{name}.ytm-kept-{os.getpid()}-{os.urandom(3).hex()}"

    def _link_new(self, tmp: str, name: str) -> None:
        try:
            self.link(tmp, name)  # fails with EEXIST instead of replacing
        except FileExistsError:
            raise
        except OSError:
            if self.lexists(name):
                raise FileExistsError(errno.EEXIST, "already exists", self.join(name)) from None
            self.rename(tmp, name)
            return
        with contextlib.suppress(OSError):  # `name` is in place: the temp is litter now
            self.unlink(tmp)


def made_here(into: Anchor, name: str, make: Callable[[str], object]) -> None:
    """`make(name)` (a mkdir, a symlink) in `into`, only while it is the confined directory;
    undone when it was swapped meanwhile (ParentChanged). The directory is fsynced after."""
    into.verify()
    make(name)
    into.confirm(name)
    into.fsync()


@contextlib.contextmanager
def parent_of(path: str | os.PathLike) -> Iterator[tuple[Anchor, str]]:
    """The directory of `path`, held open, and the name `path` has in it."""
    path = os.fspath(path)
    with Anchor.open(os.path.dirname(path) or ".") as anchor:
        yield anchor, os.path.basename(path)
