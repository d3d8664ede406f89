"""The later roots listed by a child process: the checks see exactly what a serial walk shows
them, in the same order, errors and dropped checks included; a child that fails changes
nothing but the time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ytm_doctor import walk_fork
from ytm_doctor.demo import build_demo
from ytm_doctor.model import Check, Entry, Rule, Severity, Subscription
from ytm_doctor.walk import Subscribers, WalkRoot, walk_root

pytestmark = pytest.mark.skipif(
    not walk_fork.can_fork(), reason="no child listing here (not Linux, one core or threads)"
)

# The same findings whatever this machine's free space (below the warning line, a check spends
# a time budget, and what it gets through could differ between two runs).
NO_DISK_LIMITS = ("--set", "disk.warn_free_gib=0", "--set", "disk.stop_free_gib=0")
RULE = Rule("TST001", "record", Severity.INFO, "records what it is shown")


class Recorder(Check):
    """Records every entry it is shown; raises on the entry named `fail_on`."""

    rule = RULE

    def __init__(
        self, label: str, seen: list, subscriptions: tuple, fail_on: str | None = None
    ) -> None:
        self.label = label
        self.seen = seen
        self.subscriptions = subscriptions
        self.fail_on = fail_on

    def visit(self, entry: Entry, ctx) -> list:
        # A link's text and target as the link checks read them (the child reads them ahead).
        link = (entry.readlink(), entry.target_state()) if entry.kind == "link" else None
        self.seen.append(
            (self.label, entry.root, entry.rel, entry.path, entry.name, entry.kind, link)
        )
        if self.fail_on and entry.name.startswith(self.fail_on):
            raise RuntimeError("boom")
        return []


def make_tree(base: Path) -> None:
    for d in (
        "video/runs/CH01-001__a/images",
        "video/input/CH01/001",
        "planning/channels",
        "x/y/z",
    ):
        (base / d).mkdir(parents=True)
    for i in range(30):
        (base / "video/runs/CH01-001__a/images" / f"{i:03d}.png").write_bytes(b"x")
    os.symlink("../../nowhere.png", base / "video/runs/CH01-001__a/images/dangling.png")
    os.symlink("/abs/target", base / "video/input/CH01/001/bgm")
    (base / "planning/channels/CH01.csv").write_text("a,b\n", encoding="utf-8")
    for i in range(10):  # the failing check raises on the first it is shown, then sees no more
        (base / f"x/y/z/boom{i}").write_bytes(b"")
    os.symlink("y", base / "x/link-to-y")
    os.symlink("loop-b", base / "x/loop-a")
    os.symlink("loop-a", base / "x/loop-b")
    os.mkfifo(base / "x/fifo")
    (base / "name-\udcff").mkdir()  # a name that is not UTF-8 (the byte 0xff)


def subscribers_for(root_name: str, seen: list, fail_on: str | None = None) -> Subscribers:
    subs = Subscribers()
    everything = Recorder(
        "everything",
        seen,
        (Subscription((root_name,), frozenset({"file", "dir", "link", "other"})),),
    )
    planning = Recorder(
        "planning", seen, (Subscription((root_name,), frozenset({"file"}), ("planning/channels",)),)
    )
    failing = Recorder(
        "failing", seen, (Subscription((root_name,), frozenset({"file", "dir", "link"})),), fail_on
    )
    for check in (everything, planning, failing):
        for sub in check.subscriptions:
            subs.add(check, sub)
    return subs


def walk_two_roots(roots: list[WalkRoot], forked: bool, fail_on: str | None, threads: int = 1):
    """(what the checks saw, the errors, each root's counts): the first root walked here, the
    second walked here too or listed by a child (`forked`) and dispatched here."""
    seen: list = []
    errors: list = []

    def on_error(root, rel, exc):
        errors.append(("walk", root.name, rel, exc.errno, exc.strerror))

    subs = [subscribers_for(r.name, seen, fail_on) for r in roots]
    child = walk_fork.start_listing([("vault", roots[1], subs[1])]) if forked else None
    counts = []
    for root, root_subs in zip(roots, subs, strict=True):

        def check_error(check, exc, entry, s=root_subs):
            errors.append(("check", entry.rel, str(exc)))
            s.remove(check)

        if child is not None and root.name == "vault":
            listings = child.take()
            assert listings is not None
            stats = walk_fork.dispatch_listed(
                root, listings["vault"], root_subs, None, ignore, check_error, on_error
            )
        else:
            stats = walk_root(root, root_subs, None, ignore, check_error, on_error, threads)
        counts.append((stats.entries, stats.dirs, stats.errors))
    return seen, errors, counts


def ignore(check, found) -> None:
    pass


def serial_and_forked(tmp_path: Path, fail_on: str | None = None):
    first, second = tmp_path / "ws", tmp_path / "vault"
    make_tree(first)
    make_tree(second)
    roots = [WalkRoot("workspace", os.fspath(first)), WalkRoot("vault", os.fspath(second))]
    return [walk_two_roots(roots, forked, fail_on) for forked in (False, True)]


def test_the_checks_see_what_a_serial_walk_shows_them(tmp_path: Path) -> None:
    serial, forked = serial_and_forked(tmp_path)
    assert forked == serial
    seen = serial[0]
    assert any(s[1] == "vault" and s[5] == "other" for s in seen)  # the fifo
    assert any(s[1] == "vault" and "\udcff" in s[2] for s in seen)  # a name not UTF-8
    vault_links = {s[2]: s[6] for s in seen if s[1] == "vault" and s[5] == "link"}
    assert vault_links["x/loop-a"] == ("loop-b", "loop")  # probed by the child, the same
    assert vault_links["x/link-to-y"] == ("y", "ok")
    assert vault_links["video/runs/CH01-001__a/images/dangling.png"][1] == "dangling"
    planning_visits = [s for s in seen if s[0] == "planning"]
    assert {s[2] for s in planning_visits} == {"planning/channels/CH01.csv"}  # its subtree only


def test_a_check_that_raises_is_dropped_the_same_way(tmp_path: Path) -> None:
    serial, forked = serial_and_forked(tmp_path, fail_on="boom")
    assert forked == serial
    errors = serial[1]
    assert [e[0] for e in errors] == ["check", "check"]  # once per root, then no more visits


def test_an_unreadable_root_is_one_walk_error_either_way(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    root = WalkRoot("vault", os.fspath(not_a_dir))
    errors: list = []

    def on_error(r, rel, exc):
        errors.append((r.name, rel, exc.errno))

    subs = subscribers_for("vault", [])
    walk_root(root, subs, None, lambda c, f: None, lambda *a: None, on_error)
    child = walk_fork.start_listing([("vault", root, subs)])
    records = child.take()["vault"]
    stats = walk_fork.dispatch_listed(
        root, records, subs, None, lambda c, f: None, lambda *a: None, on_error
    )
    assert errors[0] == errors[1] == ("vault", ".", 20)  # ENOTDIR
    assert (stats.dirs, stats.errors) == (1, 1)


def test_a_child_that_fails_gives_no_listing(tmp_path: Path, monkeypatch) -> None:
    def broken(root, subscribers):
        raise MemoryError("the child cannot list")

    monkeypatch.setattr(walk_fork, "list_root", broken)  # the forked child inherits it
    make_tree(tmp_path / "vault")
    root = WalkRoot("vault", os.fspath(tmp_path / "vault"))
    child = walk_fork.start_listing([("vault", root, subscribers_for("vault", []))])
    assert child is not None
    assert child.take() is None


def test_a_scan_lists_the_vault_in_a_child_with_the_same_report(tmp_path: Path) -> None:
    """The demo through the real command: automatic threads list the Vault in a child; one
    thread walks it here; the findings are the same."""
    demo = build_demo(tmp_path / "factory")
    reports = []
    for extra in ([], ["--set", "scan.threads=1"]):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ytm_doctor",
                "--config",
                os.fspath(demo.config),
                "--json",
                "--no-save",
                *NO_DISK_LIMITS,
                *extra,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        reports.append(json.loads(proc.stdout))
    forked, serial = reports
    assert forked["config"]["walks"]["vault"]["listed_by_child"] is True
    assert serial["config"]["walks"]["vault"]["listed_by_child"] is False
    assert forked["config"]["walks"]["workspace"]["listed_by_child"] is False

    def findings(report):
        return sorted((f["fingerprint"], f["message"]) for f in report["findings"])

    assert findings(forked) == findings(serial)
    assert (
        forked["config"]["walks"]["vault"]["entries"]
        == serial["config"]["walks"]["vault"]["entries"]
    )


def test_an_interrupted_read_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C while the listing is read: the interrupt goes on up (no error of the cleanup in
    its place), and the child is killed and reaped."""
    make_tree(tmp_path / "vault")
    root = WalkRoot("vault", os.fspath(tmp_path / "vault"))
    child = walk_fork.start_listing([("vault", root, subscribers_for("vault", []))])
    real = walk_fork._read_all

    def interrupted(fd):
        real(fd)  # closes the pipe, as an interrupted read does on its way out
        raise KeyboardInterrupt

    monkeypatch.setattr(walk_fork, "_read_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        try:
            child.take()
        finally:
            child.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped: no zombie left


def test_the_threaded_walk_shows_the_checks_the_same_entries(tmp_path: Path) -> None:
    """The network walk's threads deliver directories in the order they are listed, but each
    check sees the same entries as in the serial walk: the same per-directory plans, subtree
    subscriptions (the planning check) included."""
    first, second = tmp_path / "ws", tmp_path / "vault"
    make_tree(first)
    make_tree(second)
    roots = [WalkRoot("workspace", os.fspath(first)), WalkRoot("vault", os.fspath(second))]
    serial = walk_two_roots(roots, forked=False, fail_on=None)
    threaded = walk_two_roots(roots, forked=False, fail_on=None, threads=4)
    assert sorted(threaded[0]) == sorted(serial[0])
    assert threaded[1:] == serial[1:]
    planning = {s[2] for s in threaded[0] if s[0] == "planning"}
    assert planning == {"planning/channels/CH01.csv"}


def test_a_child_the_kernel_reaped_itself_means_a_walk_here(tmp_path: Path) -> None:
    """Started with SIGCHLD ignored, the child's end is unknown: take() gives no listing (the
    scan walks the root here), it does not fail."""
    import signal

    make_tree(tmp_path)
    root = WalkRoot("vault", os.fspath(tmp_path))
    before = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        child = walk_fork.start_listing([("vault", root, subscribers_for("vault", []))])
        assert child is not None
        assert child.take() is None
        child.stop()
    finally:
        signal.signal(signal.SIGCHLD, before)
