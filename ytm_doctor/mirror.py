"""The Hot → Vault mirror (SPEC §6.3, seeds 001 Step C and 002), driving the real rsync.

`ytm-doctor mirror` copies `<workspace_root>/` to `<vault_workspaces_root>/`:

- delete-sync by default (`--delete-after`: nothing is deleted before everything was sent;
  `--no-delete`: copy only), refused without a valid Vault sentinel (YTM201's condition);
- the sentinel is neither sent nor deleted; `mirror.exclude` (planning/: the SoT lives on the
  Vault) is neither sent nor deleted;
- `mirror.protected` (scripts/, thumbnails/assets/, video/runs/) is sent but never deleted on
  the Vault. With delete-sync that is two rsync passes: the deleting one excludes them, a
  second one sends only them and deletes nothing. (In one pass it would take `P /x` and
  `P /x/***` — a bare `P /x/` protects the directory, not the files in it — and rsync would
  list every file under video/runs on the Vault only to find it protected.);
- video/input: Hot's real dirs and files one and two levels down are sent, and inside them the
  mirror is a mirror; Hot's links there are not sent, nothing the Vault has at those two levels
  is deleted (its portable links, what the Lenovo side added), and a Hot dir where the Vault
  has a link is skipped, so no link is replaced or written through (seed 002);
- links that lead outside the workspace (absolute ones, such as a run's capcut_draft pointing
  at the Mac's local draft) are not copied (`--safe-links`): they would dangle on every other
  host, which is how host-specific links got into the Vault before (seed 002, 2026-01-25);
- the live lock files of the report dir are not sent.

A dry-run is `rsync --dry-run --itemize-changes`, summarised as creates, updates and deletes.
Every run, dry or real, writes `logs/ops/workspaces_mirror/workspaces_mirror__<stamp>.json`
(YTM703 reads it). A real run goes through the Executor as an `rsync` action: journaled (with
the reason it cannot be undone), audited, under the `mirror` lock. The command itself is
ytm_doctor/mirror_command.py; the fixer of YTM703 is fixers/mirror.py.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import create_atomic
from ytm_doctor.clock import iso_seconds, utc_now
from ytm_doctor.errors import UsageError
from ytm_doctor.lock import Lock, LockBusy, lock_path, takeover_record
from ytm_doctor.mount import share_state
from ytm_doctor.paths import REPORT_SUBDIR, SENTINEL_NAME

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.executor import Executor
    from ytm_doctor.paths import Paths
    from ytm_doctor.plan import Action

SCHEMA = "ytm.workspaces_mirror.v1"
LOG_DIR = "logs/ops/workspaces_mirror"
LOG_PREFIX = "workspaces_mirror__"
LOCK_NAME = "mirror"
HOMEBREW_RSYNC = "/opt/homebrew/bin/rsync"  # seed 002: launchd's /usr/bin/rsync was refused
INPUT_DIR = "video/input"
ITEM_PREFIX = "ytm-item "  # marks rsync's itemized lines among its other messages
SAMPLE = 20  # paths listed per kind of change
MAX_MESSAGES = 40  # rsync stderr lines kept in the run log
MIN_PROTOCOL = 30  # rsync 3.0: *** patterns, delete-during; macOS's 2.6.9/openrsync are older
OK_CODES = (0, 24)  # 24: files vanished on Hot while being sent; they go next run

RSYNC_EXIT = {
    1: "syntax or usage error",
    2: "protocol incompatibility",
    3: "errors selecting input/output files, directories",
    4: "requested action not supported",
    5: "error starting client-server protocol",
    10: "error in socket I/O",
    11: "error in file I/O",
    12: "error in rsync protocol data stream",
    13: "errors with program diagnostics",
    14: "error in IPC code",
    15: "sibling process crashed",
    16: "sibling process was killed by a signal",
    19: "received SIGUSR1",
    20: "received SIGINT, SIGTERM, or SIGHUP",
    21: "some error returned by waitpid()",
    22: "error allocating core memory buffers",
    23: "partial transfer due to error",
    24: "partial transfer due to vanished source files",
    25: "the --max-delete limit stopped deletions",
    30: "timeout in data send/receive",
    35: "timeout waiting for daemon connection",
}


class Terminated(KeyboardInterrupt):
    """SIGTERM (launchd stopping the job): handled like Ctrl-C, so rsync is stopped too."""


# -- settings and the rsync binary -----------------------------------------------------------


@dataclass(frozen=True)
class MirrorSettings:
    rsync_bin: str | None
    rsync_bin_source: str
    nice: int
    timeout_sec: int
    bwlimit_kbps: int
    whole_file: bool
    protected: tuple[str, ...]
    exclude: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Config) -> MirrorSettings:
        return cls(
            rsync_bin=config["mirror.rsync_bin"] or None,
            rsync_bin_source=config.settings["mirror.rsync_bin"].describe_source(),
            nice=int(config["mirror.nice"] or 0),
            timeout_sec=int(config["mirror.timeout_sec"] or 0),
            bwlimit_kbps=int(config["mirror.bwlimit_kbps"] or 0),
            whole_file=bool(config["mirror.whole_file"]),
            protected=tuple(_subtree(p) for p in config["mirror.protected"] or ()),
            exclude=tuple(_subtree(p) for p in config["mirror.exclude"] or ()),
        )


def _subtree(value: str) -> str:
    rel = value.strip().strip("/")
    if not rel or rel == "." or ".." in rel.split("/"):
        raise UsageError(f"mirror: {value!r} is not a subtree of the workspace")
    return rel


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
        out = subprocess.run(
            [path, "--version"], capture_output=True, timeout=30, check=False
        ).stdout.decode("utf-8", "replace")
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


# -- what may be mirrored now --------------------------------------------------------------


def share_refusal(paths: Paths, require_mount: bool, *, ensure_dirs: bool = False) -> str | None:
    """Why the share cannot receive the mirror now (None: it can). With `ensure_dirs`, a
    missing ytm_workspaces/ is not a reason: it is about to be created."""
    state = share_state(paths, require_mount)
    if not state.mounted:
        what = {"stub": "a stub (README_MOUNTPOINT.txt)", "missing": "missing"}
        return (
            f"the share {paths.share_root} is {what.get(state.status, 'not mounted')}: the "
            "mirror waits for the share to be mounted (ytm-doctor explain YTM101); nothing "
            "was written"
        )
    missing_vault = f"{paths.vault_workspaces_root.name}/ is missing"
    problems = [p for p in state.problems if not (ensure_dirs and p == missing_vault)]
    if problems:
        hint = " or add --ensure-dirs" if missing_vault in problems else ""
        return (
            f"the share is degraded ({'; '.join(problems)}): the mirror waits until it is "
            f"usable (ytm-doctor explain YTM102{hint}); nothing was written"
        )
    return None


def sentinel_problem(paths: Paths) -> tuple[str, str] | None:
    """(problem, description) when the Vault sentinel is not valid for this namespace — the
    very condition of YTM201 — else None."""
    # YTM201's own reading, so the mirror and the check can never disagree.
    from ytm_doctor.checks.vault import _read_sentinel, _sentinel_problem

    data, problem, error = _read_sentinel(os.fspath(paths.sentinel))
    if problem is None:
        problem, _found, error = _sentinel_problem(data, paths.namespace)
    if problem is None:
        return None
    what = "is missing" if problem == "missing" else f"is not valid ({problem}: {error})"
    return problem, f"the Vault sentinel {paths.sentinel} {what}"


def delete_refusal(paths: Paths) -> str | None:
    found = sentinel_problem(paths)
    if found is None:
        return None
    if found[0] == "wrong-namespace":
        how = "is this the right share, and the right shared_storage.namespace?"
    else:
        how = "add --bootstrap-dest to write it, or --no-delete to copy only;"
    return f"{found[1]}: delete-sync refused ({how} ytm-doctor explain YTM201)"


# -- the filter rules ------------------------------------------------------------------------


def _pattern(rel: str, suffix: str = "") -> str:
    """An anchored rsync pattern matching exactly `rel` (then `suffix`). rsync reads `\\` as an
    escape only in patterns with a wildcard, so names are escaped only then; a line break (which
    a rule cannot hold) is matched by `?`."""
    raw = "/" + rel + suffix
    if not any(c in raw for c in "*?[\n\r"):
        return raw
    escaped = "".join("\\" + c if c in "\\*?[" else c for c in rel)
    return "/" + escaped.replace("\n", "?").replace("\r", "?") + suffix


@dataclass
class InputPlan:
    """How video/input is mirrored: rsync rules, and what was sent, kept or skipped."""

    rules: list[str] = field(default_factory=list)
    synced: int = 0  # real dirs and files one or two levels down, sent
    links_kept: list[str] = field(default_factory=list)  # Hot links, not sent
    skipped: list[dict[str, str]] = field(default_factory=list)  # {path, why}


def _entries(path: str) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def _link_names(path: str) -> set[str]:
    """Names of the links directly in `path` (one listing: on the share, one round trip)."""
    return {e.name for e in _entries(path) if e.is_symlink()}


def plan_input(workspace: str, vault: str) -> InputPlan:
    """The rules for video/input (seed 002). Hot's real dirs (and files) one and two levels down
    are sent, and inside them the mirror is a mirror. Hot's links there are not sent; whatever
    the Vault has at those two levels is never deleted (its portable links, what the Lenovo side
    added, inputs Hot has dropped) and a Vault link is never replaced by a Hot dir."""
    plan = InputPlan()
    keep_all = f"- {_pattern(INPUT_DIR)}"
    hot = os.path.join(workspace, INPUT_DIR)
    if os.path.islink(hot) or not os.path.isdir(hot):
        if os.path.islink(hot):
            plan.links_kept.append(INPUT_DIR)
        plan.rules.append(keep_all)  # nothing of Hot's to send; the Vault's stays whole
        return plan
    for rel in ("video", INPUT_DIR):
        if os.path.islink(os.path.join(vault, rel)):
            plan.skipped.append({"path": rel, "why": "a link on the Vault"})
            plan.rules.append(keep_all)
            return plan

    def leave(rel: str, entry: os.DirEntry, vault_links: set[str]) -> bool:
        """Exclude `rel` (an exclude also protects it on the Vault) when it must not be sent."""
        if entry.is_symlink():
            plan.links_kept.append(rel)
        elif entry.name in vault_links:
            plan.skipped.append({"path": rel, "why": "a link on the Vault; not replaced"})
        else:
            return False
        plan.rules.append(f"- {_pattern(rel)}")
        return True

    top_links = _link_names(os.path.join(vault, INPUT_DIR))
    for top in _entries(hot):
        rel = f"{INPUT_DIR}/{top.name}"
        if leave(rel, top, top_links):
            continue
        plan.synced += 1
        if not top.is_dir(follow_symlinks=False):
            continue
        links = _link_names(os.path.join(vault, rel))
        for child in _entries(top.path):
            if not leave(f"{rel}/{child.name}", child, links):
                plan.synced += 1
    # Receiver-side only: nothing one or two levels down is ever deleted from the Vault.
    plan.rules += [f"P /{INPUT_DIR}/*", f"P /{INPUT_DIR}/*/*"]
    return plan


@dataclass(frozen=True)
class Pass:
    """One rsync run of a mirror: its name, filter rules and whether it deletes."""

    name: str
    rules: list[str]
    delete: bool


def plan_passes(settings: MirrorSettings, input_plan: InputPlan, *, delete: bool) -> list[Pass]:
    """The rsync runs of one mirror, each with its rules in rsync's first-match order.

    With delete-sync, the protected subtrees get a pass of their own that never deletes: the
    main pass excludes them (an exclude is neither sent nor deleted), so rsync does not list
    every file of video/runs on the Vault only to find each one protected. Same result as
    `P /video/runs/***` in one pass, and a run with nothing to do no slower than `rsync -a`."""
    sentinel = _pattern(SENTINEL_NAME)
    common = [f"P {sentinel}", f"- {sentinel}"]
    # Live lock files (and their guards and temp files) belong to this host, not the Vault.
    common += [f"- /{REPORT_SUBDIR}/*.lock", f"- /{REPORT_SUBDIR}/.*.lock.*"]
    # No trailing slash: a link or file under that name is excluded (and kept) as well.
    common += [f"- {_pattern(rel)}" for rel in settings.exclude]
    if not delete or not settings.protected:
        return [Pass("mirror", common + input_plan.rules, delete)]
    main = common + [f"- {_pattern(rel)}" for rel in settings.protected] + input_plan.rules
    includes: list[str] = []
    for rel in settings.protected:
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            rule = f"+ {_pattern('/'.join(parts[:depth]), '/')}"
            if rule not in includes:
                includes.append(rule)
        includes.append(f"+ {_pattern(rel, '/***')}")
    protected = common + input_plan.rules + includes + ["- *"]
    return [Pass("mirror", main, True), Pass("protected", protected, False)]


def rsync_argv(
    rsync: Rsync,
    settings: MirrorSettings,
    rules: list[str],
    src: str,
    dest: str,
    *,
    delete: bool,
    dry_run: bool,
) -> list[str]:
    """The command line of one pass. Without --delete the file list is still built in one go
    (--no-inc-recursive), as --delete-after does: faster when there is little to send."""
    argv: list[str] = []
    nice = shutil.which("nice") if settings.nice else None
    if nice:
        argv += [nice, "-n", str(settings.nice)]
    argv += [rsync.path, "-a", "--safe-links", "--itemize-changes"]
    argv.append(f"--out-format={ITEM_PREFIX}%i %n%L")
    if dry_run:
        argv.append("--dry-run")
    if delete:
        # After the transfer, not during it: a run cut short has deleted nothing yet, and
        # rsync then lists the tree in one go, which makes a run with nothing to do as fast
        # as a plain `rsync -a` (SPEC §9) instead of a third slower.
        argv.append("--delete-after")
    else:
        argv.append("--no-inc-recursive")
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
def _sigterm_interrupts():
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


# -- one mirror pass and its log -------------------------------------------------------------


@dataclass
class MirrorOutcome:
    run: bool
    delete: bool
    status: str  # ok, partial, failed, refused, interrupted
    record: dict[str, Any]
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "partial-vanished")

    @property
    def returncode(self) -> int | None:
        return self.record.get("returncode")


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"


def _base_record(paths: Paths, *, run: bool, delete: bool, started: datetime) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "run": run,
        "status": None,
        "ok": False,
        "returncode": None,
        "result": {"returncode": None, "meaning": None},
        "started_at": iso_seconds(started),
        "finished_at": None,
        "duration_sec": None,
        "host": socket.gethostname(),
        "user": _current_user(),
        "src": "workspace:.",
        "dest": "vault:.",
        "delete": delete,
    }


def _portable_argv(argv: list[str], paths: Paths) -> list[str]:
    """argv with the two roots named, not spelled: recorded paths never go through the share
    mount (SPEC §3), and the same log reads right on every host."""
    src = os.fspath(paths.workspace_root).rstrip(os.sep) + os.sep
    dest = os.fspath(paths.vault_workspaces_root).rstrip(os.sep) + os.sep
    names = {src: "$WORKSPACE_ROOT/", dest: "$VAULT_WORKSPACES_ROOT/"}
    return [names.get(a, a) for a in argv]


def write_log(paths: Paths, record: dict[str, Any], started: datetime) -> Path | None:
    """logs/ops/workspaces_mirror/workspaces_mirror__<stamp>.json, created atomically and never
    over an earlier run's (a second run in the same second gets `_2`)."""
    folder = paths.workspace_root / LOG_DIR
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    data = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(1, 100):
            name = f"{LOG_PREFIX}{stamp}{'' if n == 1 else f'_{n}'}.json"
            try:
                create_atomic(folder / name, data)
                return folder / name
            except FileExistsError:
                continue
    except OSError as exc:
        print(
            f"ytm-doctor: warning: cannot write the mirror log in {folder}: {exc}", file=sys.stderr
        )
    return None


def refusal_log(paths: Paths, reason: str, *, delete: bool, started: datetime) -> Path | None:
    """A --run that was refused is a failed run for YTM703: say why in its log."""
    record = _base_record(paths, run=True, delete=delete, started=started)
    finished = utc_now()
    record.update(
        status="refused",
        refused=reason,
        finished_at=iso_seconds(finished),
        duration_sec=round((finished - started).total_seconds(), 3),
    )
    return write_log(paths, record, started)


def mirror_once(
    paths: Paths,
    settings: MirrorSettings,
    rsync: Rsync,
    *,
    delete: bool,
    dry_run: bool,
    lock: Lock | None = None,
    run_id: str | None = None,
) -> MirrorOutcome:
    """One rsync pass (dry or real), summarised and logged."""
    started = utc_now()
    ws = os.fspath(paths.workspace_root)
    vault = os.fspath(paths.vault_workspaces_root)
    input_plan = plan_input(ws, vault)
    passes = plan_passes(settings, input_plan, delete=delete)
    argvs = [
        rsync_argv(rsync, settings, one.rules, ws, vault, delete=one.delete, dry_run=dry_run)
        for one in passes
    ]
    record = _base_record(paths, run=not dry_run, delete=delete, started=started)
    record.update(
        run_id=run_id,
        rsync={"bin": rsync.path, "version": rsync.version},
        nice=settings.nice if argvs[0][0] != rsync.path else None,
        timeout_sec=settings.timeout_sec or None,
        bwlimit_kbps=settings.bwlimit_kbps or None,
        whole_file=settings.whole_file,
        protected=[f"{p}/" for p in settings.protected] + [SENTINEL_NAME],
        excluded=[f"{p}/" for p in settings.exclude],
        video_input={
            "synced": input_plan.synced,
            "links_kept": input_plan.links_kept[:200],
            "links_kept_total": len(input_plan.links_kept),
            "skipped": input_plan.skipped,
        },
        argv=_portable_argv(argvs[0], paths),
        passes=[
            {"name": one.name, "delete": one.delete, "argv": _portable_argv(argv, paths)}
            for one, argv in zip(passes, argvs, strict=True)
        ],
    )
    status, returncode, done = "interrupted", None, []
    try:
        with _sigterm_interrupts():
            for argv, info in zip(argvs, record["passes"], strict=True):
                result = run_rsync(argv, on_start=lock.record_child if lock else None)
                info.update(returncode=result.returncode, seconds=round(result.duration, 3))
                done.append(result)
                if result.returncode not in (0, 23, 24):
                    break  # rsync cannot work (timeout, Vault gone): no second pass to wait for
    except OSError as exc:
        status = "failed"
        record["error"] = f"cannot run {argvs[0][0]}: {exc.strerror or exc}"
    else:
        returncode = next((r.returncode for r in done if r.returncode != 0), 0)
        status = _status(returncode)
    finally:
        finished = utc_now()
        record.update(finished_at=iso_seconds(finished), status=status)
        record["duration_sec"] = round((finished - started).total_seconds(), 3)
        changes, messages = Changes(), []
        for result in done:
            changes.absorb(result.changes)
            messages += result.messages
        record.update(
            ok=status in ("ok", "partial-vanished"),
            returncode=returncode,
            result={
                "returncode": returncode,
                "meaning": RSYNC_EXIT.get(returncode or 0, "success"),
            },
            counts=changes.counts(),
            samples=changes.samples,
            stderr=messages[:MAX_MESSAGES],
            stderr_lines=sum(r.messages_total for r in done),
            rsync_seconds=round(sum(r.duration for r in done), 3),
        )
        if returncode is None:
            record["result"]["meaning"] = None
        if lock is not None and lock.lost.is_set():
            record["lock_lost"] = True
        log = write_log(paths, record, started)
    return MirrorOutcome(run=not dry_run, delete=delete, status=status, record=record, log=log)


def _status(returncode: int | None) -> str:
    if returncode == 0:
        return "ok"
    if returncode == 24:
        return "partial-vanished"
    if returncode == 23:
        return "partial"
    return "failed"


# -- the Executor's rsync action -------------------------------------------------------------


def rsync_action(executor: Executor, action: Action) -> dict[str, Any]:
    """Run the `rsync` action of a plan (the mirror fixer, or `ytm-doctor mirror --run`):
    every guard again, under the mirror lock, then one real pass. Returns what the journal
    records; raises Refused when it must not run or did not complete."""
    from ytm_doctor.executor import Refused

    options = action.options or {}
    unknown = set(options) - {"delete"}
    if unknown or not isinstance(options.get("delete", True), bool):
        raise Refused(f"rsync action has unknown options {sorted(unknown) or options}")
    delete = options.get("delete", True)
    config = executor.ctx.config
    paths = executor.ctx.paths
    settings = MirrorSettings.from_config(config)
    try:
        rsync = find_rsync(settings)
    except UsageError as exc:
        raise Refused(str(exc)) from None
    reason = share_refusal(paths, config["shared_storage.require_mount"])
    if reason is None and delete:
        reason = delete_refusal(paths)
    if reason:
        raise Refused(reason)
    lock = executor.held_locks.get(LOCK_NAME)
    own = None
    if lock is None:
        own = mirror_lock(paths, "ytm-doctor fix (mirror)", config)
        try:
            own.acquire()
        except LockBusy as exc:
            raise Refused(f"another mirror is running: {exc.info.describe()}") from None
        audit_takeover(paths, own)
        lock = own
    try:
        run_id = executor.journal.run_id if executor.journal else None
        outcome = mirror_once(
            paths, settings, rsync, delete=delete, dry_run=False, lock=lock, run_id=run_id
        )
    finally:
        if own is not None:
            own.release()
    executor.outcomes.append(outcome)
    log = workspace_rel(outcome.log, paths) if outcome.log else None
    if not outcome.ok:
        rc = outcome.returncode
        first = next((m for m in outcome.record.get("stderr", []) if m), "")
        what = outcome.record.get("error") or f"rsync exited {rc} ({RSYNC_EXIT.get(rc, '?')})"
        raise Refused(what + (f": {first}" if first else "") + (f"; log {log}" if log else ""))
    return {"returncode": outcome.returncode, "counts": outcome.record["counts"], "log": log}


def workspace_rel(path: Path, paths: Paths) -> str:
    return os.path.relpath(path, paths.workspace_root).replace(os.sep, "/")


def mirror_lock(paths: Paths, command: str, config: Config) -> Lock:
    return Lock(
        lock_path(paths.report_dir, LOCK_NAME),
        LOCK_NAME,
        command=command[:200],
        stale_after=float(config["locks.stale_after_sec"]),
    )


def audit_takeover(paths: Paths, lock: Lock) -> None:
    if lock.took_over is None:
        return
    from ytm_doctor.journal import audit

    print(
        f"ytm-doctor: took over a stale mirror lock from {lock.took_over.describe()}",
        file=sys.stderr,
    )
    with contextlib.suppress(OSError):  # the audit line must not stop the mirror
        audit(paths.report_dir, takeover_record(lock, "mirror"))
