"""The Executor (SPEC §6.1, §10), in process on real temporary trees: confinement to the
configured roots, the share-offline refusal, stale preconditions, break-glass for destructive
fixes, journaled apply with rollback, the inverses undo runs, and reading journals back."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from treehash import snapshot

from ytm_doctor.config import load_config
from ytm_doctor.context import Context
from ytm_doctor.errors import UsageError
from ytm_doctor.fix.executor import Executor, Override
from ytm_doctor.fix.journal import Journal, list_runs, read_journal
from ytm_doctor.fix.operation import OperationRegistry
from ytm_doctor.fix.ops import treecopy
from ytm_doctor.fix.plan import Action, Fix, PathRef
from ytm_doctor.fix.state import path_state

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


LOGS = os.path.join("ws", "logs")


class World:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.ws = tmp / "ws"
        self.share = tmp / "share"
        self.vault = self.share / "ytm_workspaces"
        self.outside = tmp / "outside"
        self.ws.mkdir()
        self.vault.mkdir(parents=True)
        (self.share / "uploads" / "factory_commentary").mkdir(parents=True)
        (self.share / "asset_vault" / "bgm").mkdir(parents=True)
        (self.share / "asset_vault" / "bgm" / "a.mp3").write_bytes(b"song")
        self.outside.mkdir()
        (self.outside / "keep.txt").write_bytes(b"not yours")

    def ctx(self) -> Context:
        options = argparse.Namespace(
            config=None,
            set=[
                "shared_storage.require_mount=false",
                "shared_storage.host_aliases=[/srv/x/lenovo_share]",
                # This machine's free space is not the test's (the stop threshold has its own).
                "disk.stop_free_gib=0",
            ],
            workspace_root=str(self.ws),
            share_root=str(self.share),
            fallback_root=str(self.tmp / "outbox"),
        )
        return Context(load_config(options, environ={}))

    def executor(self, run_id: str = "RUN1", **kwargs) -> Executor:
        ctx = self.ctx()
        journal = Journal(ctx.paths.report_dir, run_id, {"command": "test"})
        return Executor(ctx, OperationRegistry.builtin(), journal=journal, **kwargs)

    def all(self) -> dict[str, tuple]:
        return snapshot(self.tmp, exclude=(LOGS,))


@pytest.fixture
def w(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)  # no stray ./ytm-doctor.yaml
    return World(tmp_path)


def fix_of(*actions: Action, **extra) -> Fix:
    return Fix(fixer="test", rule="T001", title="test fix", actions=list(actions), **extra)


def ws(rel: str) -> PathRef:
    return PathRef("workspace", rel)


def relativize(w: World, name: str = "bgm") -> Fix:
    """What relativize-symlink plans: the absolute link aside, a relative one in its place."""
    link = w.vault / "video" / "input" / "CH01" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("/srv/x/lenovo_share/asset_vault/bgm", link)
    ref = PathRef("vault", f"video/input/CH01/{name}")
    backup = ref.sibling(f"{name}.symlink_shared_backup_20260101T000000Z")
    return fix_of(
        Action("rename", ref, dest=backup),
        Action("symlink", ref, target="../../../../asset_vault/bgm"),
        preconditions=[(ref, path_state(link)), (backup, {"kind": "missing"})],
    )


def undo_all(executor: Executor, journal_dir: Path, run_id: str) -> list[str]:
    """What `ytm-doctor undo RUN --run` does for one fix: inverses in reverse order."""
    record = read_journal(journal_dir, run_id)
    steps = [executor.step_for(e.action, e.inverse) for e in reversed(record.entries) if e.done]
    problems = executor.group_problems(steps)
    if not problems:
        for step in steps:
            executor.run_inverse(step)
    return problems


# ---------------------------------------------------------------------------------------------
# Confinement: a plan cannot reach outside the configured roots
# ---------------------------------------------------------------------------------------------


def test_path_through_a_link_leading_outside_is_refused(w: World):
    os.symlink(w.outside, w.ws / "escape")
    before = snapshot(w.outside)
    ex = w.executor()
    result = ex.apply(1, fix_of(Action("mkdir", ws("escape/newdir"))))
    assert result.status == "refused"
    assert any("leads outside the configured roots" in r for r in result.reasons)
    assert snapshot(w.outside) == before
    assert not (w.outside / "newdir").exists()


def test_every_op_through_an_escaping_link_is_refused(w: World):
    os.symlink(w.outside, w.ws / "escape")
    (w.ws / "inside").mkdir()
    before = w.all()
    ex = w.executor()
    fixes = [
        fix_of(Action("write", ws("escape/x"), data=b"x")),
        fix_of(Action("replace", ws("escape/keep.txt"), data=b"x")),
        fix_of(Action("symlink", ws("escape/l"), target="/etc")),
        fix_of(Action("rename", ws("inside"), dest=ws("escape/inside"))),
        fix_of(Action("copy", ws("escape/copy"), source=PathRef("share", "asset_vault/bgm"))),
        fix_of(Action("copy", ws("copy"), source=ws("escape/keep.txt"))),
    ]
    for i, fix in enumerate(fixes, 1):
        result = ex.apply(i, fix)
        assert result.status == "refused", ex.registry.describe(fix.actions[0])
        assert "outside the configured roots" in " ".join(result.reasons)
    assert w.all() == before


def test_unknown_root_is_refused(w: World):
    result = w.executor().apply(1, fix_of(Action("mkdir", PathRef("elsewhere", "x"))))
    assert result.status == "refused"
    assert result.reasons == ["elsewhere:x: unknown or unconfigured root 'elsewhere'"]


def test_link_that_stays_inside_the_roots_is_followed(w: World):
    (w.ws / "video" / "input" / "CH01").mkdir(parents=True)
    os.symlink(w.share / "asset_vault" / "bgm", w.ws / "video" / "input" / "CH01" / "bgm")
    result = w.executor().apply(
        1, fix_of(Action("write", ws("video/input/CH01/bgm/note.txt"), data=b"hi"))
    )
    assert result.status == "applied"
    assert (w.share / "asset_vault" / "bgm" / "note.txt").read_bytes() == b"hi"


def test_write_never_replaces_what_is_there(w: World):
    """A hand-made plan without preconditions still cannot write through a final link."""
    os.symlink(w.outside / "keep.txt", w.ws / "victim")
    before = w.all()
    result = w.executor().apply(1, fix_of(Action("write", ws("victim"), data=b"pwned")))
    assert result.status == "failed"
    assert (w.outside / "keep.txt").read_bytes() == b"not yours"
    assert w.all() == before
    assert not [n for n in os.listdir(w.ws) if n.endswith(".tmp")]


def test_replace_refuses_a_link(w: World):
    os.symlink(w.outside / "keep.txt", w.ws / "victim")
    result = w.executor().apply(1, fix_of(Action("replace", ws("victim"), data=b"pwned")))
    assert result.status == "failed"
    assert "not a regular file" in " ".join(result.reasons)
    assert (w.outside / "keep.txt").read_bytes() == b"not yours"


# ---------------------------------------------------------------------------------------------
# The share: nothing is written into a stub
# ---------------------------------------------------------------------------------------------


def test_share_stub_refuses_vault_actions_and_waits(w: World):
    fix = relativize(w)
    (w.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    before = w.all()
    result = w.executor().apply(1, fix)
    assert result.status == "refused"
    assert any("waits for the share" in r for r in result.reasons)
    assert w.all() == before


def test_share_stub_refuses_workspace_paths_that_lead_into_it(w: World):
    (w.ws / "video" / "input" / "CH01").mkdir(parents=True)
    os.symlink(w.share / "asset_vault" / "bgm", w.ws / "video" / "input" / "CH01" / "bgm")
    (w.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    ex = w.executor()
    result = ex.apply(1, fix_of(Action("write", ws("video/input/CH01/bgm/x"), data=b"x")))
    assert result.status == "refused"
    assert "waits for the share" in " ".join(result.reasons)
    assert not (w.share / "asset_vault" / "bgm" / "x").exists()
    # The Hot workspace itself stays writable while the share is down.
    assert ex.apply(2, fix_of(Action("mkdir", ws("local")))).status == "applied"


# ---------------------------------------------------------------------------------------------
# Preconditions (stale plans)
# ---------------------------------------------------------------------------------------------


def test_stale_precondition_refuses_and_changes_nothing(w: World):
    fix = relativize(w)
    link = w.vault / "video" / "input" / "CH01" / "bgm"
    os.unlink(link)
    os.symlink("/somewhere/else", link)
    before = w.all()
    result = w.executor().apply(1, fix)
    assert result.status == "refused"
    assert result.reasons == [
        "stale: vault:video/input/CH01/bgm was link -> /srv/x/lenovo_share/asset_vault/bgm "
        "when planned, is now link -> /somewhere/else"
    ]
    assert w.all() == before


def test_backup_name_taken_since_planning_is_stale(w: World):
    fix = relativize(w)
    backup = w.vault / "video" / "input" / "CH01" / "bgm.symlink_shared_backup_20260101T000000Z"
    backup.write_bytes(b"someone else's")
    result = w.executor().apply(1, fix)
    assert result.status == "refused"
    assert "stale" in result.reasons[0]
    assert backup.read_bytes() == b"someone else's"


# ---------------------------------------------------------------------------------------------
# Break-glass for destructive fixes of unposted episodes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["hot", "freeze"])
def test_destructive_fix_of_unposted_episode_needs_override(w: World, stage):
    fix = fix_of(
        Action("mkdir", ws("scratch")), destructive=True, stage=stage, channel="CH01", video="001"
    )
    result = w.executor().check(1, fix)
    assert result.status == "refused"
    assert result.reasons == [
        f"CH01-001 is unposted ({stage}): destructive fixes need --allow-unposted "
        "(or YTM_EMERGENCY_OVERRIDE=1) and --reason"
    ]
    assert w.executor("RUN2").apply(1, fix).status == "refused"
    assert not (w.ws / "scratch").exists()

    override = Override(reason="deadline", via="--allow-unposted")
    result = w.executor("RUN3", override=override).apply(1, fix)
    assert result.status == "applied"
    assert (w.ws / "scratch").is_dir()


@pytest.mark.parametrize(
    ("destructive", "stage"), [(True, "published"), (True, None), (False, "hot")]
)
def test_no_override_needed(w: World, destructive, stage):
    fix = fix_of(Action("mkdir", ws("scratch")), destructive=destructive, stage=stage)
    assert w.executor().apply(1, fix).status == "applied"


# ---------------------------------------------------------------------------------------------
# Journaled apply, rollback
# ---------------------------------------------------------------------------------------------


def test_apply_journals_each_action_and_undo_restores(w: World):
    fix = relativize(w)
    before = w.all()
    ex = w.executor()
    result = ex.apply(1, fix)
    assert result.status == "applied" and result.actions_done == 2
    link = w.vault / "video" / "input" / "CH01" / "bgm"
    assert os.readlink(link) == "../../../../asset_vault/bgm"
    assert (link / "a.mp3").read_bytes() == b"song"

    record = read_journal(ex.ctx.paths.report_dir, "RUN1")
    assert [e.action["op"] for e in record.entries] == ["rename", "symlink"]
    assert all(e.done for e in record.entries)
    assert record.header["command"] == "test"

    assert undo_all(w.executor("UNDO"), ex.ctx.paths.report_dir, "RUN1") == []
    assert w.all() == before


def test_failing_action_rolls_back_the_ones_before(w: World, monkeypatch):
    fix = relativize(w)
    before = w.all()
    real = os.symlink
    calls = []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise OSError(5, "Input/output error (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(os, "symlink", flaky)
    ex = w.executor()
    result = ex.apply(1, fix)
    assert result.status == "failed"
    assert result.actions_done == 0
    assert "injected" in result.reasons[0]
    assert any(r.startswith("reverted: rename") for r in result.reasons)
    assert w.all() == before  # the link is back under its name, no backup left

    record = read_journal(ex.ctx.paths.report_dir, "RUN1")
    assert [(e.action["op"], e.done) for e in record.entries] == [
        ("rename", True),
        ("symlink", False),
    ]
    assert any("rolled_back" in n for n in record.notes)


def test_any_exception_of_an_action_fails_the_fix_and_rolls_back(w: World, monkeypatch):
    fix = relativize(w)
    before = w.all()

    def buggy(*args, **kwargs):
        raise RuntimeError("a bug in an operation")

    monkeypatch.setattr(os, "symlink", buggy)
    ex = w.executor()
    result = ex.apply(1, fix)
    assert result.status == "failed"
    assert result.reasons[0].endswith("RuntimeError: a bug in an operation")
    assert any(r.startswith("reverted: rename") for r in result.reasons)
    assert w.all() == before


def test_an_action_a_plugin_built_with_wrong_types_is_refused_before_it_runs(w: World):
    fix = relativize(w)
    fix.actions[1].target = ["a"]  # type: ignore[assignment]  # what a buggy fixer might do
    before = w.all()
    result = w.executor().apply(1, fix)
    assert result.status == "refused"
    assert result.reasons == ["plan action symlink has an invalid link target"]
    assert w.all() == before


def test_failing_copy_leaves_no_partial_copy_and_restores_the_link(w: World, monkeypatch):
    (w.ws / "video" / "input" / "CH01").mkdir(parents=True)
    link = w.ws / "video" / "input" / "CH01" / "bgm"
    os.symlink(w.share / "asset_vault" / "bgm", link)
    fix = fix_of(
        Action("rename", ws("video/input/CH01/bgm"), dest=ws("video/input/CH01/bgm.bak")),
        Action("copy", ws("video/input/CH01/bgm"), source=PathRef("share", "asset_vault/bgm")),
    )
    before = w.all()

    def half_copy(source, into, name, **kwargs):
        # The first file is written whole, then the disk fills up.
        real(source, into, name, **kwargs)
        raise OSError(28, "No space left on device (injected)")

    real = treecopy._copy_file
    monkeypatch.setattr(treecopy, "_copy_file", half_copy)
    result = w.executor().apply(1, fix)
    monkeypatch.setattr(treecopy, "_copy_file", real)
    assert result.status == "failed"
    assert "No space left" in result.reasons[0]
    assert w.all() == before


def test_later_fixes_still_apply_after_one_fails(w: World, monkeypatch):
    real = os.mkdir

    def no_mkdir_of_bad(path, *args, **kwargs):
        if os.path.basename(path) == "bad":
            raise PermissionError(13, "Permission denied (injected)")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", no_mkdir_of_bad)
    ex = w.executor()
    first = ex.apply(1, fix_of(Action("mkdir", ws("ok1")), Action("mkdir", ws("bad"))))
    second = ex.apply(2, fix_of(Action("mkdir", ws("ok2"))))
    assert (first.status, second.status) == ("failed", "applied")
    assert not (w.ws / "ok1").exists()
    assert (w.ws / "ok2").is_dir()


# ---------------------------------------------------------------------------------------------
# Inverses: undo removes only what the fix created, and only while unchanged
# ---------------------------------------------------------------------------------------------


def test_undo_of_write_refuses_an_edited_file(w: World):
    ex = w.executor()
    assert ex.apply(1, fix_of(Action("write", ws("note.txt"), data=b"v1"))).status == "applied"
    (w.ws / "note.txt").write_bytes(b"v2")
    problems = undo_all(w.executor("UNDO"), ex.ctx.paths.report_dir, "RUN1")
    assert problems and "changed since the fix" in problems[0]
    assert (w.ws / "note.txt").read_bytes() == b"v2"


def test_undo_of_replace_restores_the_old_bytes(w: World):
    target = w.ws / "info.json"
    target.write_bytes(b'{"old": true}')
    os.chmod(target, 0o600)
    ex = w.executor()
    result = ex.apply(1, fix_of(Action("replace", ws("info.json"), data=b'{"new": 1}')))
    assert result.status == "applied"
    assert target.read_bytes() == b'{"new": 1}'
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600  # mode kept
    backups = list((ex.ctx.paths.report_dir / "backups" / "RUN1").rglob("info.json"))
    assert [b.read_bytes() for b in backups] == [b'{"old": true}']

    assert undo_all(w.executor("UNDO"), ex.ctx.paths.report_dir, "RUN1") == []
    assert target.read_bytes() == b'{"old": true}'


def test_undo_of_mkdir_leaves_a_dir_someone_filled(w: World):
    ex = w.executor()
    assert ex.apply(1, fix_of(Action("mkdir", ws("d")))).status == "applied"
    (w.ws / "d" / "work.txt").write_bytes(b"mine")
    problems = undo_all(w.executor("UNDO"), ex.ctx.paths.report_dir, "RUN1")
    assert problems == ["workspace:d is no longer empty; left in place"]
    assert (w.ws / "d" / "work.txt").read_bytes() == b"mine"


def test_undo_of_relink_refuses_a_repointed_link_and_keeps_the_backup(w: World):
    fix = relativize(w)
    ex = w.executor()
    assert ex.apply(1, fix).status == "applied"
    link = w.vault / "video" / "input" / "CH01" / "bgm"
    os.unlink(link)
    os.symlink("../elsewhere", link)
    after = w.all()
    problems = undo_all(w.executor("UNDO"), ex.ctx.paths.report_dir, "RUN1")
    assert any("changed since the fix" in p for p in problems)
    assert w.all() == after


def test_undo_of_copy_removes_an_unchanged_copy_only(w: World):
    ex = w.executor()
    fix = fix_of(Action("copy", ws("bgm"), source=PathRef("share", "asset_vault/bgm")))
    assert ex.apply(1, fix).status == "applied"
    assert (w.ws / "bgm" / "a.mp3").read_bytes() == b"song"
    (w.ws / "bgm" / "extra.mp3").write_bytes(b"added later")
    problems = undo_all(w.executor("UNDO"), ex.ctx.paths.report_dir, "RUN1")
    assert problems == ["workspace:bgm changed since it was copied; left in place"]
    assert (w.ws / "bgm" / "extra.mp3").exists()
    os.unlink(w.ws / "bgm" / "extra.mp3")
    assert undo_all(w.executor("UNDO2"), ex.ctx.paths.report_dir, "RUN1") == []
    assert not (w.ws / "bgm").exists()
    assert (w.share / "asset_vault" / "bgm" / "a.mp3").read_bytes() == b"song"


# ---------------------------------------------------------------------------------------------
# Journals
# ---------------------------------------------------------------------------------------------


def test_journal_with_a_torn_last_line_still_reads(w: World):
    ex = w.executor()
    assert ex.apply(1, fix_of(Action("mkdir", ws("d")))).status == "applied"
    path = ex.journal.path
    with open(path, "ab") as fh:
        fh.write(b'{"type": "begin", "seq": 2, "fix": 2, "act')  # crash mid-write
    record = read_journal(ex.ctx.paths.report_dir, "RUN1")
    assert [(e.action["op"], e.done) for e in record.entries] == [("mkdir", True)]
    assert [r.header["run_id"] for r in list_runs(ex.ctx.paths.report_dir)] == ["RUN1"]


def test_copy_manifest_reaches_the_inverse_through_the_done_line(w: World):
    ex = w.executor()
    fix = fix_of(Action("copy", ws("bgm"), source=PathRef("share", "asset_vault/bgm")))
    assert ex.apply(1, fix).status == "applied"
    lines = [json.loads(x) for x in ex.journal.path.read_text().splitlines()]
    assert [x["type"] for x in lines] == ["run", "begin", "done"]
    assert lines[1]["inverse"]["manifest"] is None  # unknown until the copy is done
    [entry] = read_journal(ex.ctx.paths.report_dir, "RUN1").entries
    content = (w.share / "asset_vault" / "bgm" / "a.mp3").read_bytes()
    assert entry.inverse["manifest"] == [["a.mp3", "file", 4, hashlib.sha256(content).hexdigest()]]


@pytest.mark.parametrize("run_id", ["../x", "a/b", ".hidden"])
def test_run_id_cannot_name_another_file(w: World, run_id):
    with pytest.raises(UsageError, match="not a run id"):
        read_journal(w.ws / "logs", run_id)


def test_missing_or_foreign_journal_is_a_usage_error(w: World):
    log_dir = w.ws / "logs"
    log_dir.mkdir()
    with pytest.raises(UsageError, match="no journal for run NOPE"):
        read_journal(log_dir, "NOPE")
    (log_dir / "journal__X.jsonl").write_text('{"type": "begin"\n')
    with pytest.raises(UsageError, match="is not a ytm-doctor journal"):
        read_journal(log_dir, "X")
    assert list_runs(log_dir) == []
