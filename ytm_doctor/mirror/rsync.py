"""Running rsync for the mirror: finding a usable binary (rsync 3 or newer), building its command
line, and running it while counting its itemized changes as they stream."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ytm_doctor import errors
from ytm_doctor.errors import UsageError

if TYPE_CHECKING:
    from ytm_doctor.mirror.engine import MirrorSettings

HOMEBREW_RSYNC = "/opt/homebrew/bin/rsync"  # seed 002: launchd's /usr/bin/rsync was refused
ITEM_PREFIX = "ytm-item "  # marks rsync's itemized lines among its other messages
SAMPLE = 20  # paths listed per kind of change
MAX_MESSAGES = 40  # rsync stderr lines kept in the run log
MIN_PROTOCOL = 30  # rsync 3.0: *** patterns, delete-during; macOS's 2.6.9/openrsync are older


class Terminated(errors.Terminated):
    """SIGTERM (launchd stopping the job): handled like Ctrl-C, so rsync is stopped too (the
    CLI's own handler raises the same kind outside rsync's run)."""


@dataclass(frozen=True)
class Rsync:
    path: str
    version: str


def find_rsync(settings: MirrorSettings) -> Rsync:
    """YTM_RSYNC_BIN / mirror.rsync_bin, else Homebrew's, else `rsync` on PATH; checked to be
    rsync 3 or newer (older ones and openrsync lack the filter rules the mirror relies on)."""
    configured = settings.rsync_bin
    if configured:
        path = shutil.which(configured) if os.sep not in configured else configured
        if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
            raise UsageError(
                f"mirror: rsync binary {configured} (from {settings.rsync_bin_source}) is not "
                "an executable file"
            )
    elif os.access(HOMEBREW_RSYNC, os.X_OK):
        path = HOMEBREW_RSYNC
    else:
        path = shutil.which("rsync")
        if not path:
            raise UsageError(
                "mirror: rsync is not installed (not at /opt/homebrew/bin/rsync nor on PATH); "
                "install it (brew install rsync, apt-get install rsync) or set YTM_RSYNC_BIN"
            )
    try:
        st = os.stat(path)
        out = _version_text(path, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"mirror: cannot run {path} --version: {exc}") from None
    protocol = re.search(r"protocol version\s+(\d+)", out)
    version = re.search(r"(?<!protocol )version\s+v?(\d[\w.]*)", out)
    if not protocol or not version:
        raise UsageError(f"mirror: {path} does not identify itself as rsync (--version)")
    if int(protocol.group(1)) < MIN_PROTOCOL:
        raise UsageError(
            f"mirror: {path} is rsync {version.group(1)} (protocol {protocol.group(1)}); the "
            "mirror needs rsync 3 or newer (brew install rsync) or set YTM_RSYNC_BIN"
        )
    return Rsync(path, version.group(1))


@functools.lru_cache(maxsize=8)
def _version_text(path: str, identity: tuple[int, int, int, int]) -> str:
    """`rsync --version` of the binary at `path` as it is now (`identity`: its device, inode,
    size and mtime). The mirror command checks the binary before it takes the lock and the
    rsync action again right before it runs: one process asks once, unless the binary changed
    in between (another file, another identity)."""
    del identity  # only the cache key
    return subprocess.run(
        [path, "--version"], capture_output=True, timeout=30, check=False
    ).stdout.decode("utf-8", "replace")


def rsync_argv(
    rsync: Rsync,
    settings: MirrorSettings,
    rules: list[str],
    src: str,
    dest: str,
    *,
    delete: bool,
    dry_run: bool,
    backup_dir: str | None = None,
) -> list[str]:
    """The mirror's rsync command line. Without --delete the file list is built in one go
    (--no-inc-recursive): no slower when there is little to send."""
    argv: list[str] = []
    nice = shutil.which("nice") if settings.nice else None
    if nice:
        argv += [nice, "-n", str(settings.nice)]
    argv += [rsync.path, "-a", "--safe-links", "--itemize-changes"]
    argv.append(f"--out-format={ITEM_PREFIX}%i %n%L")
    if dry_run:
        argv.append("--dry-run")
    if delete:
        # Deletions found while the tree is listed, done once everything was sent: a run cut
        # short has deleted nothing yet. Unlike --delete-after it keeps rsync's incremental
        # listing, whose sender and receiver work side by side (a tenth less CPU than listing
        # the tree first, as `rsync -a --delete` does); a directory Hot could not read reaches
        # the receiver with its I/O error, and nothing is deleted for it.
        argv.append("--delete-delay")
    else:
        argv.append("--no-inc-recursive")
    if backup_dir and not dry_run:
        # What this pass deletes or overwrites on the Vault is moved there, not lost.
        argv += ["--backup", f"--backup-dir={backup_dir}"]
    if settings.timeout_sec:
        argv.append(f"--timeout={settings.timeout_sec}")
    if settings.bwlimit_kbps:
        argv.append(f"--bwlimit={settings.bwlimit_kbps}")
    if settings.whole_file:
        argv.append("--whole-file")
    argv += [f"--filter={rule}" for rule in rules]
    argv += [src.rstrip(os.sep) + os.sep, dest.rstrip(os.sep) + os.sep]
    return argv


# -- running rsync ---------------------------------------------------------------------------


@dataclass
class Changes:
    creates: int = 0
    updates: int = 0
    deletes: int = 0
    samples: dict[str, list[str]] = field(
        default_factory=lambda: {"creates": [], "updates": [], "deletes": []}
    )

    def add(self, kind: str, path: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.samples[kind]) < SAMPLE:
            self.samples[kind].append(path)

    def absorb(self, other: Changes) -> None:
        for kind in self.samples:
            setattr(self, kind, getattr(self, kind) + getattr(other, kind))
            room = SAMPLE - len(self.samples[kind])
            self.samples[kind] += other.samples[kind][:room]

    def counts(self) -> dict[str, int]:
        return {"creates": self.creates, "updates": self.updates, "deletes": self.deletes}


def classify(item: str) -> tuple[str, str] | None:
    """(kind, path) of one itemized line (`%i %n%L`): `*deleting` is a delete; an item whose
    attribute flags are all `+` is new; any other change of content or attributes an update."""
    code, _, name = item.partition(" ")
    name = name.lstrip(" ")
    if code.startswith("*"):
        return ("deletes", name) if code == "*deleting" else None
    if len(code) < 3 or code[0] not in "<>ch.":
        return None
    flags = code[2:]
    return ("creates" if set(flags) == {"+"} else "updates", name)


@dataclass
class RsyncRun:
    returncode: int | None
    changes: Changes
    messages: list[str]  # rsync's stderr (and stray stdout), first MAX_MESSAGES lines
    messages_total: int
    duration: float


def run_rsync(argv: list[str], on_start=None) -> RsyncRun:
    """Run rsync, counting its itemized changes as they stream (nothing kept per file)."""
    started = time.monotonic()
    changes = Changes()
    messages: list[str] = []
    counted = [0]
    guard = threading.Lock()  # stderr is read by a thread, stray stdout lines by this one

    def keep(line: str) -> None:
        with guard:
            counted[0] += 1
            if len(messages) < MAX_MESSAGES:
                messages.append(line)

    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    def drain_stderr() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            keep(raw.decode("utf-8", "backslashreplace").rstrip("\n"))

    reader = threading.Thread(target=drain_stderr, name="rsync-stderr", daemon=True)
    reader.start()
    try:
        if on_start is not None:
            on_start(proc.pid)
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "backslashreplace").rstrip("\n")
            if line.startswith(ITEM_PREFIX):
                found = classify(line[len(ITEM_PREFIX) :])
                if found:
                    changes.add(*found)
            elif line:
                keep(line)
        returncode = proc.wait()
    except BaseException:
        _stop(proc)
        reader.join(timeout=5)
        raise
    reader.join(timeout=5)
    return RsyncRun(returncode, changes, messages, counted[0], time.monotonic() - started)


def _stop(proc: subprocess.Popen) -> None:
    """Stop rsync (and the receiver it forked) gently, then for sure."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(OSError):
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()


@contextlib.contextmanager
def sigterm_interrupts():
    """While rsync runs, SIGTERM stops it and lets the log and lock be written and released."""

    def raise_terminated(signum, frame):
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
