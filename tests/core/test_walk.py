"""The one shared walk (SPEC §9, §10) on real trees: kinds, links, filters, bad input."""

from __future__ import annotations

import argparse
import base64
import errno
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.errors import ExitCode
from ytm_doctor.model import Check, Entry, Rule, Severity, Subscription
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.session import run_scan
from ytm_doctor.walk import KINDS, Subscribers, WalkRoot, walk_root


class Recorder(Check):
    """Remembers every entry it is given."""

    def __init__(self, code: str = "T001", kinds=KINDS, under=(), roots=("t",)) -> None:
        self.rule = Rule(code, f"recorder-{code.lower()}", Severity.INFO, "records entries")
        self.subscriptions = (Subscription(tuple(roots), frozenset(kinds), tuple(under)),)
        self.seen: list[Entry] = []

    def visit(self, entry, ctx):
        self.seen.append(Entry(entry.root, entry.rel, entry.path, entry.name, entry.kind))
        return ()

    def pairs(self) -> Counter:
        return Counter((e.rel, e.kind) for e in self.seen)


@dataclass
class WalkResult:
    stats: object
    errors: list = field(default_factory=list)  # (rel, OSError)
    check_errors: list = field(default_factory=list)


def run_walk(path: Path | str, checks, threads: int = 1, name="t", prefix="") -> WalkResult:
    subs = Subscribers()
    for check in checks:
        for sub in check.subscriptions:
            subs.add(check, sub)
    result = WalkResult(None)

    def on_check_error(check, exc, entry):
        result.check_errors.append((check, exc, entry))
        subs.remove(check)

    result.stats = walk_root(
        WalkRoot(name, os.fspath(path), prefix),
        subs,
        None,
        lambda check, found: None,
        on_check_error,
        lambda root, rel, exc: result.errors.append((rel, exc)),
        threads,
    )
    return result


THREADS = [1, 4]


# --- kinds and relative paths -----------------------------------------------------------------


@pytest.fixture
def small_tree(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "root"
    (root / "d" / "sub").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "a.txt").write_text("a")
    (root / "d" / "e.txt").write_text("e")
    (root / "d" / "sub" / "f.bin").write_bytes(b"\0")
    (root / "link_file").symlink_to("a.txt")
    (root / "link_dir").symlink_to("d")
    (root / "dangling").symlink_to("nowhere")
    (root / "d" / "abs_link").symlink_to(root / "d" / "sub")
    expected = {
        "a.txt": "file",
        "d": "dir",
        "d/e.txt": "file",
        "d/sub": "dir",
        "d/sub/f.bin": "file",
        "d/abs_link": "link",
        "empty": "dir",
        "link_file": "link",
        "link_dir": "link",
        "dangling": "link",
    }
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo")
        expected["fifo"] = "other"
    return root, expected


@pytest.mark.parametrize("threads", THREADS)
def test_every_entry_once_with_kind_and_rel(small_tree, threads: int) -> None:
    root, expected = small_tree
    rec = Recorder()
    result = run_walk(root, [rec], threads)
    assert rec.pairs() == Counter(expected.items())
    for entry in rec.seen:
        assert entry.root == "t"
        assert entry.path == os.path.join(root, *entry.rel.split("/"))
        assert entry.name == entry.rel.rsplit("/", 1)[-1]
    assert result.errors == []
    assert result.stats.entries == len(expected)
    assert result.stats.dirs == 4  # root, d, d/sub, empty


@pytest.mark.parametrize("threads", THREADS)
def test_kind_subscription_only_gets_that_kind(small_tree, threads: int) -> None:
    root, expected = small_tree
    links, files = Recorder("T001", kinds=("link",)), Recorder("T002", kinds=("file",))
    run_walk(root, [links, files], threads)
    assert set(links.pairs()) == {(r, k) for r, k in expected.items() if k == "link"}
    assert set(files.pairs()) == {(r, k) for r, k in expected.items() if k == "file"}


@pytest.mark.parametrize("threads", THREADS)
def test_rel_prefix_is_prepended(small_tree, threads: int) -> None:
    root, expected = small_tree
    rec = Recorder(roots=("share",))
    run_walk(root, [rec], threads, name="share", prefix="asset_vault")
    assert {e.rel for e in rec.seen} == {f"asset_vault/{r}" for r in expected}
    assert {e.root for e in rec.seen} == {"share"}


@pytest.mark.parametrize("threads", THREADS)
def test_link_loops_and_parent_links_are_not_descended(tmp_path: Path, threads: int) -> None:
    root = tmp_path / "root"
    (root / "x" / "y").mkdir(parents=True)
    (root / "x" / "y" / "file").write_text("f")
    (root / "a").symlink_to("b")
    (root / "b").symlink_to("a")
    (root / "self").symlink_to(".")
    (root / "x" / "y" / "up").symlink_to("../..")
    (root / "x" / "to_root").symlink_to(root)
    (root / "x" / "to_tmp").symlink_to(tmp_path)
    rec = Recorder()
    run_walk(root, [rec], threads)
    assert rec.pairs() == Counter(
        {
            ("a", "link"): 1,
            ("b", "link"): 1,
            ("self", "link"): 1,
            ("x", "dir"): 1,
            ("x/y", "dir"): 1,
            ("x/y/file", "file"): 1,
            ("x/y/up", "link"): 1,
            ("x/to_root", "link"): 1,
            ("x/to_tmp", "link"): 1,
        }
    )


# --- under ------------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", THREADS)
def test_under_filters_by_subtree_on_a_path_boundary(tmp_path: Path, threads: int) -> None:
    root = tmp_path / "ws"
    for rel in ("video/input/CH01/a.mp4", "video/input2/b.mp4", "video/runs/r1/c.mp4", "d.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")
    (root / "video" / "input" / "CH02").symlink_to("/nonexistent/share/CH02")
    inputs = Recorder("T001", under=("video/input",))
    runs_and_top = Recorder("T002", kinds=("file",), under=("video/runs", "d.txt"))
    everything = Recorder("T003")
    run_walk(root, [inputs, runs_and_top, everything], threads)
    assert {e.rel for e in inputs.seen} == {
        "video/input",
        "video/input/CH01",
        "video/input/CH01/a.mp4",
        "video/input/CH02",
    }
    assert {e.rel for e in runs_and_top.seen} == {"video/runs/r1/c.mp4", "d.txt"}
    assert len(everything.seen) == 11


@pytest.fixture(scope="module")
def under_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("under") / "ws"
    for rel in ("video/input/CH01/a.mp4", "video/input2/b", "video/runs/r1/img/c", "d.txt", "x/y"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")
    (root / "video" / "input" / "CH02").symlink_to("../runs")
    return root


# Real subtrees, and names that only look like one (a partial name, a trailing or doubled
# slash, an empty or absolute path).
REAL_UNDER = ["video", "video/input", "video/input/CH01", "video/runs/r1/img/c", "d.txt", "x/y"]
FAKE_UNDER = ["vid", "video/", "", "/video", "video//input", "nowhere/deep", "video/runs/r1"]
UNDER = st.sampled_from([*REAL_UNDER, *FAKE_UNDER])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(unders=st.lists(st.lists(UNDER, max_size=3), min_size=1, max_size=3), prefix=st.booleans())
def test_under_gives_each_check_what_wants_says(under_tree: Path, unders, prefix: bool) -> None:
    """Subtrees are decided per directory; each check still gets exactly the entries whose
    relative path its subscription wants, in the order the walk lists them."""
    pre = "video" if prefix else ""
    target = under_tree / "video" if prefix else under_tree
    everything = Recorder("T000")
    checks = [Recorder(f"T{i + 1:03d}", under=u) for i, u in enumerate(unders)]
    run_walk(target, [everything, *checks], prefix=pre)
    for check in checks:
        sub = check.subscriptions[0]
        assert [e.rel for e in check.seen] == [e.rel for e in everything.seen if sub.wants(e.rel)]


# --- unreadable, vanishing --------------------------------------------------------------------


@pytest.fixture
def locked_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "root"
    (root / "ok1").mkdir(parents=True)
    (root / "ok1" / "a").write_text("a")
    (root / "locked").mkdir()
    (root / "locked" / "secret").write_text("s")
    (root / "ok2").mkdir()
    (root / "ok2" / "b").write_text("b")
    locked = root / "locked"
    if os.geteuid() == 0:  # root reads anything: simulate the refusal
        real_scandir = os.scandir

        def scandir(path="."):
            if os.fspath(path) == os.fspath(locked):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
        yield root
    else:
        locked.chmod(0)
        try:
            yield root
        finally:
            locked.chmod(stat.S_IRWXU)


@pytest.mark.parametrize("threads", THREADS)
def test_unreadable_dir_is_reported_and_walk_continues(locked_tree: Path, threads: int) -> None:
    rec = Recorder()
    result = run_walk(locked_tree, [rec], threads)
    assert [rel for rel, _exc in result.errors] == ["locked"]
    assert isinstance(result.errors[0][1], PermissionError)
    assert result.stats.errors == 1
    assert {e.rel for e in rec.seen} == {"ok1", "ok1/a", "locked", "ok2", "ok2/b"}


def test_unreadable_root_is_reported_as_dot(tmp_path: Path, monkeypatch) -> None:
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(tmp_path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run_walk(tmp_path, [Recorder()])
    assert [rel for rel, _exc in result.errors] == ["."]


class Vandal(Recorder):
    """On its first visit, deletes every other top-level entry of the tree being walked."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.done = False

    def visit(self, entry, ctx):
        super().visit(entry, ctx)
        if not self.done:
            self.done = True
            top = entry.rel.split("/")[0]
            for child in self.root.iterdir():
                if child.name == top:
                    continue
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        return ()


@pytest.mark.parametrize("threads", THREADS)
def test_entries_vanishing_mid_walk_do_not_crash(tmp_path: Path, threads: int) -> None:
    root = tmp_path / "root"
    for d in range(6):
        for f in range(5):
            (root / f"d{d}" / "deep").mkdir(parents=True, exist_ok=True)
            (root / f"d{d}" / f"f{f}").write_text("x")
            (root / f"d{d}" / "deep" / f"g{f}").write_text("x")
        (root / f"top{d}").write_text("x")
    vandal = Vandal(root)
    result = run_walk(root, [vandal], threads)
    assert result.check_errors == []
    assert result.errors == []  # a vanished dir is not an error: it simply is not there
    assert len(list(root.iterdir())) == 1


@pytest.mark.parametrize("threads", THREADS)
def test_entry_vanishing_between_readdir_and_lstat_is_skipped(
    tmp_path: Path, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("keep1", "vanish.txt", "keep2"):
        (tmp_path / name).write_text("x")
    real_listing = os.scandir

    class GhostEntry:
        def __init__(self, de):
            self._de = de
            self.name, self.path = de.name, de.path

        def _gone(self, *a, **kw):
            raise FileNotFoundError(errno.ENOENT, "No such file", self.path)

        is_symlink = is_dir = is_file = _gone

    class Listing:
        def __init__(self, path):
            self._it = real_listing(path)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._it.close()

        def __iter__(self):
            for de in self._it:
                yield GhostEntry(de) if de.name == "vanish.txt" else de

    monkeypatch.setattr(os, "scandir", Listing)
    rec = Recorder()
    result = run_walk(tmp_path, [rec], threads)
    assert {e.rel for e in rec.seen} == {"keep1", "keep2"}
    assert result.errors == []


@pytest.mark.parametrize("threads", THREADS)
def test_dir_replaced_by_file_mid_walk_is_one_walk_error(tmp_path: Path, threads: int) -> None:
    (tmp_path / "a" / "sub").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("x")

    class Swapper(Recorder):
        def visit(self, entry, ctx):
            super().visit(entry, ctx)
            sub = tmp_path / "a" / "sub"
            if entry.rel == "a/sub" and sub.is_dir():
                sub.rmdir()
                sub.write_text("now a file")
            return ()

    rec = Swapper()
    result = run_walk(tmp_path, [rec], threads)
    assert "b/x" in {e.rel for e in rec.seen}
    # listed before the swap (threaded prefetch) or reported as "not a directory": never a crash
    assert all(isinstance(exc, NotADirectoryError) for _rel, exc in result.errors)


# --- non-UTF-8 names --------------------------------------------------------------------------


def make_raw_file(directory: Path, raw_name: bytes) -> bytes:
    raw = os.path.join(os.fsencode(directory), raw_name)
    try:
        fd = os.open(raw, os.O_CREAT | os.O_WRONLY, 0o644)
    except OSError as exc:
        pytest.skip(f"the filesystem refuses non-UTF-8 names: {exc}")
    os.close(fd)
    return raw


@pytest.mark.parametrize("threads", THREADS)
def test_non_utf8_name_reaches_checks_as_surrogate_str(tmp_path: Path, threads: int) -> None:
    raw = make_raw_file(tmp_path, b"bad\xff.txt")
    rec = Recorder()
    run_walk(tmp_path, [rec], threads)
    (entry,) = rec.seen
    assert isinstance(entry.name, str)
    assert entry.name == "bad\udcff.txt"
    assert entry.rel == "bad\udcff.txt"
    assert os.fsencode(entry.path) == raw
    assert entry.kind == "file"


PLUGIN = """
from ytm_doctor import check


@check("X900", "every-file", severity="warning", root="workspace", kinds=("file",))
def every_file(entry, ctx):
    yield every_file.rule.finding(
        "found " + entry.name,
        root="workspace",
        path=entry.rel,
        abs_path=entry.path,
        details={"name": entry.name},
    )
"""


@pytest.fixture
def raw_world(tmp_path: Path) -> dict:
    ws, share = tmp_path / "ws", tmp_path / "share"
    ws.mkdir()
    (share / "ytm_workspaces").mkdir(parents=True)
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    (ws / "good.txt").write_text("ok")
    (ws / "日本語.txt").write_text("ok")
    raw = make_raw_file(ws, b"bad\xff.txt")
    cfg = tmp_path / "ytm-doctor.yaml"
    cfg.write_text(
        f"workspace_root: {ws}\nshared_storage:\n  root: {share}\n  require_mount: false\n"
        f"  fallback_root: {tmp_path / 'outbox'}\n"
    )
    plugin = tmp_path / "every_file_plugin.py"
    plugin.write_text(PLUGIN)
    return {"ws": ws, "raw": raw, "cfg": cfg, "plugin": plugin, "tmp": tmp_path}


ONLY_X900 = ["--select", "X900"]


def run_cli(args: list, cwd: Path, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "ytm_doctor.cli", *map(os.fspath, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,
    )


def test_non_utf8_name_in_json_report(raw_world: dict) -> None:
    from jsonschema import Draft202012Validator

    from ytm_doctor.ssot_files import report_schema

    result = run_cli(
        [
            *ONLY_X900,
            "--config",
            raw_world["cfg"],
            "-p",
            raw_world["plugin"],
            "--json",
            "--no-save",
        ],
        cwd=raw_world["tmp"],
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    report = json.loads(result.stdout.decode("utf-8"))
    Draft202012Validator(report_schema()).validate(report)
    by_path = {f["path"]: f for f in report["findings"] if f["rule"] == "X900"}
    assert set(by_path) == {"good.txt", "日本語.txt", "bad\\xff.txt"}
    bad = by_path["bad\\xff.txt"]
    assert bad["abs_path"] == f"{raw_world['ws']}/bad\\xff.txt"
    assert base64.b64decode(bad["abs_path_b64"]) == raw_world["raw"]
    assert bad["message"] == "found bad\\xff.txt"
    assert bad["details"] == {"name": "bad\\xff.txt"}
    assert "abs_path_b64" not in by_path["good.txt"]
    assert "abs_path_b64" not in by_path["日本語.txt"]


@pytest.mark.parametrize(
    "env",
    [
        {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        {"LC_ALL": "C", "LANG": "C"},
        {"PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0", "LC_ALL": "C"},
    ],
)
def test_non_utf8_name_in_terminal_and_saved_report(raw_world: dict, env: dict) -> None:
    result = run_cli(
        [*ONLY_X900, "-v", "--config", raw_world["cfg"], "-p", raw_world["plugin"]],
        cwd=raw_world["tmp"],
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert b"bad\\xff.txt" in result.stdout
    (saved_path,) = (raw_world["ws"] / "logs" / "ops" / "ytm_doctor").glob("report__*.json")
    saved = json.loads(saved_path.read_text(encoding="utf-8"))
    assert "bad\\xff.txt" in {f["path"] for f in saved["findings"]}


# --- threads ----------------------------------------------------------------------------------


def expected_pairs(root: Path) -> Counter:
    out: Counter = Counter()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            kind = (
                "link"
                if stat.S_ISLNK(mode)
                else "dir"
                if stat.S_ISDIR(mode)
                else "file"
                if stat.S_ISREG(mode)
                else "other"
            )
            out[(os.path.relpath(path, root).replace(os.sep, "/"), kind)] += 1
    return out


def random_tree(root: Path, seed: int, budget: int) -> None:
    rng = random.Random(seed)
    dirs = [root]
    root.mkdir()
    made = 0
    while made < budget:
        parent = rng.choice(dirs)
        roll = rng.random()
        name = f"e{made}"
        path = parent / name
        if roll < 0.2 and len(path.parts) < 40:
            path.mkdir()
            dirs.append(path)
        elif roll < 0.85:
            path.write_bytes(b"")
        elif roll < 0.9:
            path.symlink_to(os.path.relpath(rng.choice(dirs), parent))
        elif roll < 0.95:
            path.symlink_to(f"missing{made}")
        else:
            path.symlink_to("..")
        made += 1


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Counter]:
    root = tmp_path_factory.mktemp("big") / "tree"
    random_tree(root, seed=20240521, budget=4000)
    return root, expected_pairs(root)


@pytest.mark.parametrize("threads", [1, 2, 4, 16])
def test_threaded_walk_sees_the_same_entries(big_tree, threads: int) -> None:
    root, expected = big_tree
    assert len(expected) == 4000
    rec = Recorder()
    result = run_walk(root, [rec], threads)
    assert rec.pairs() == expected
    assert result.stats.entries == 4000


NAMES = st.text(alphabet="abXY_.-0é", min_size=1, max_size=4).filter(lambda n: n not in (".", ".."))
TREES = st.recursive(
    st.sampled_from(["file", "link_up", "dangling"]),
    lambda children: st.dictionaries(NAMES, children, max_size=4),
    max_leaves=25,
)


def build(path: Path, node) -> None:
    if isinstance(node, dict):
        path.mkdir()
        for name, child in node.items():
            build(path / name, child)
    elif node == "file":
        path.write_text("x")
    elif node == "link_up":
        path.symlink_to("..")
    else:
        path.symlink_to("does-not-exist")


def spec_pairs(node, prefix="") -> Counter:
    out: Counter = Counter()
    for name, child in node.items():
        rel = prefix + name
        if isinstance(child, dict):
            out[(rel, "dir")] += 1
            out += spec_pairs(child, rel + "/")
        else:
            out[(rel, "file" if child == "file" else "link")] += 1
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(NAMES, TREES, max_size=5), threads=st.sampled_from([1, 2, 5]))
def test_walk_matches_the_tree_it_was_given(tree, threads: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        build(root, tree)
        rec = Recorder()
        run_walk(root, [rec], threads)
        assert rec.pairs() == spec_pairs(tree)


# --- a check that raises (session) ------------------------------------------------------------


class Counting(Check):
    def __init__(self, code: str, fail: bool) -> None:
        self.rule = Rule(code, f"counting-{code.lower()}", Severity.WARNING, "counts files")
        self.subscriptions = (Subscription(("workspace",), frozenset({"file"})),)
        self.fail = fail
        self.visits = 0
        self.finished = False

    def visit(self, entry, ctx):
        self.visits += 1
        if self.fail:
            raise RuntimeError(f"boom at {entry.rel}")
        return ()

    def finish(self, ctx):
        self.finished = True
        return ()


class Provider:
    def __init__(self, checks) -> None:
        self.checks = checks

    @hookimpl
    def ytm_doctor_collect_checks(self, config):
        return self.checks


@pytest.mark.parametrize("threads", THREADS)
def test_check_raising_in_visit_is_one_error_and_is_dropped(tmp_path: Path, threads: int):
    ws, share = tmp_path / "ws", tmp_path / "share"
    ws.mkdir()
    (share / "ytm_workspaces").mkdir(parents=True)
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    for i in range(5):
        (ws / f"sub{i}").mkdir()
        (ws / f"sub{i}" / "f.txt").write_text("x")
    options = argparse.Namespace(
        config=None,
        set=["shared_storage.require_mount=false", f"scan.threads={threads}"],
        select=["T8", "YTM101"],
        workspace_root=str(ws),
        share_root=str(share),
        fallback_root=str(tmp_path / "outbox"),
        no_save=True,
    )
    config = load_config(options, environ={})
    pm = make_plugin_manager(autoload=False)
    bad, good = Counting("T801", fail=True), Counting("T802", fail=False)
    pm.register(Provider([bad, good]), "test-provider")
    config.pluginmanager = pm

    report = run_scan(config, Scope(), [])

    assert bad.visits == 1
    assert good.visits == 5
    assert bad.finished is False
    assert good.finished is True
    errors = [e for e in report.errors if e["kind"] == "check"]
    assert len(errors) == 1
    assert errors[0]["check"] == "T801"
    assert errors[0]["root"] == "workspace"
    assert errors[0]["path"].startswith("sub")
    assert "RuntimeError: boom at" in errors[0]["message"]
    outcomes = {o.code: o for o in report.outcomes}
    assert outcomes["T801"].error is not None
    assert outcomes["T802"].error is None
    assert outcomes["YTM101"].error is None  # the built-ins still ran
    assert report.summary()["checks_errored"] == 1
    assert report.exit_code == ExitCode.VIOLATIONS
