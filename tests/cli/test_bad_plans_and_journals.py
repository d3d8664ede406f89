"""Plans and journals with values of the wrong type, through real CLI runs on real trees: a
plan is refused whole before anything runs (exit 4, one line), a fix whose action raises
anything at all is rolled back, journaled and audited (exit 1), and a journal whose lines are
not what `ytm-doctor` writes never makes `undo` crash. Never exit 3, never a traceback, never a
fix half-applied.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from treehash import snapshot

ALIAS = "/srv/x/lenovo_share"
VAULT_LINK = "share/ytm_workspaces/video/input/CH01/bgm"
LOGS = os.path.join("ws", "logs")
OK_CODES = {0, 1, 2, 4, 5}


@pytest.fixture
def linked(world):
    """One YTM202 finding, whose fix renames an absolute link aside and makes a relative one."""
    r = world.root
    (r / "share/ytm_workspaces/video/input/CH01").mkdir(parents=True)
    (r / "share/asset_vault/bgm").mkdir(parents=True)
    (r / "share/asset_vault/bgm/a.mp3").write_bytes(b"song A" * 100)
    os.symlink(f"{ALIAS}/asset_vault/bgm", r / VAULT_LINK)
    world.configure(shared_storage={"host_aliases": [ALIAS]})
    return world


def tree(world) -> dict[str, tuple]:
    return snapshot(world.root, exclude=(LOGS,))


def clean(result) -> None:
    assert result.code in OK_CODES, result.err
    assert "Traceback" not in result.err + result.out
    assert "internal error" not in result.err


def audit_lines(world) -> list[dict[str, Any]]:
    path = world.report_dir / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def journals(world) -> list[Path]:
    return sorted(world.report_dir.glob("journal__*.jsonl")) if world.report_dir.exists() else []


@pytest.fixture
def real_plan(linked, cli) -> dict[str, Any]:
    result = cli("fix", "--select", "YTM202", "--plan-out", "plan.json")
    assert result.code == 0, result.err
    plan = json.loads((linked.root / "plan.json").read_text())
    [fix] = plan["fixes"]
    assert [a["op"] for a in fix["actions"]] == ["rename", "symlink"]
    return plan


def _set(plan: dict[str, Any], where: str, value: Any) -> dict[str, Any]:
    """A copy of `plan` with the field at `where` (dotted, list indexes as numbers) set."""
    changed = copy.deepcopy(plan)
    *parents, last = where.split(".")
    node: Any = changed["fixes"][0]
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    return changed


BAD_FIELDS = [
    ("actions.1.target", ["a"], "target must be a string, got array"),
    ("actions.1.target", 5, "target must be a string, got number"),
    ("actions.1.sha256", 123, "sha256 must be a string, got number"),
    ("actions.1.sha256", "abc", "sha256 must be 64 lowercase hex digits"),
    ("actions.0.path.root", 5, "must be an object with string root and rel"),
    ("actions.0.path.rel", ["x"], "must be an object with string root and rel"),
    ("actions.0.dest", "vault:x", "must be an object with string root and rel"),
    ("actions.0.note", 7, "note must be a string, got number"),
    ("actions.0.options", [1], "options must be a object, got array"),
    ("actions.0.data_b64", 5, "data_b64 must be a string, got number"),
    ("actions.0.op", 5, "has no op"),
    ("actions", {"op": "mkdir"}, "actions must be an array, got object"),
    ("fingerprints", "abc", "fingerprints must be an array"),
    ("channel", 5, "channel must be a string, got number"),
    ("destructive", "no", "destructive must be a boolean, got string"),
    ("fixer", None, "fixer must be a string, got null"),
    ("preconditions.0.state", "link", "state must be an object with a kind"),
    ("preconditions.0.state.kind", 1, "state must be an object with a kind"),
    ("preconditions.0.state.target", ["x"], "precondition target must not be array"),
    ("preconditions.0.state.size", "3", "precondition size must not be string"),
]


@pytest.mark.parametrize(("where", "value", "words"), BAD_FIELDS)
def test_a_plan_field_of_the_wrong_type_is_refused_before_anything_runs(
    linked, cli, real_plan, where, value, words
):
    plan = linked.root / "bad.json"
    plan.write_text(json.dumps(_set(real_plan, where, value)))
    before = tree(linked)
    for args in (("apply", plan), ("apply", plan, "--run")):
        result = cli(*args)
        clean(result)
        assert result.code == 4
        [line] = result.err_lines
        assert line.startswith("ytm-doctor: error: ") and words in line, line
    assert tree(linked) == before
    assert journals(linked) == []  # refused before a journal was opened


def test_a_store_copy_with_a_numeric_hash_is_refused(linked, cli):
    plan = linked.root / "bad.json"
    action = {
        "op": "store_copy",
        "path": {"root": "share", "rel": "uploads/factory_commentary/x.wav"},
        "source": {"root": "share", "rel": "asset_vault/bgm/a.mp3"},
        "sha256": 123,
    }
    fix = {"fixer": "hand", "rule": "T001", "title": "t", "actions": [action]}
    plan.write_text(
        json.dumps(
            {"schema": "ytm-doctor.plan.v1", "created": "2026-01-01T00:00:00Z", "fixes": [fix]}
        )
    )
    before = tree(linked)
    result = cli("apply", plan, "--run")
    clean(result)
    assert result.code == 4 and "sha256 must be a string, got number" in result.err
    assert tree(linked) == before


def test_the_original_plan_still_applies(linked, cli, real_plan):
    result = cli("apply", "plan.json", "--run")
    assert result.code == 0, result.out
    assert os.readlink(linked.root / VAULT_LINK) == "../../../../asset_vault/bgm"


def test_any_exception_of_an_action_rolls_the_fix_back_and_is_audited(linked, cli, monkeypatch):
    before = tree(linked)

    def broken(*args, **kwargs):
        raise TypeError("symlink: src should be string, bytes or os.PathLike, not list")

    monkeypatch.setattr(os, "symlink", broken)
    result = cli("fix", "--run", "--select", "YTM202")
    clean(result)
    assert result.code == 1
    assert "TypeError: symlink: src should be string" in result.out
    assert "reverted: rename vault:video/input/CH01/bgm" in result.out
    assert "0 applied, 0 refused, 1 failed" in result.out
    assert tree(linked) == before  # the link renamed aside is back
    [record] = audit_lines(linked)
    assert record["failed"] == 1 and record["applied"] == 0
    [journal] = journals(linked)
    notes = [json.loads(x) for x in journal.read_text().splitlines()]
    assert any("rolled_back" in n for n in notes)


def test_a_bug_while_checking_a_fix_refuses_it(linked, cli, monkeypatch):
    from ytm_doctor.fix import executor

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(executor, "path_state", broken)
    before = tree(linked)
    result = cli("fix", "--run", "--select", "YTM202")
    clean(result)
    assert result.code == 1
    assert "cannot be checked: RuntimeError: a bug" in result.out
    assert tree(linked) == before
    assert audit_lines(linked)[-1]["refused"] == 1


# ---------------------------------------------------------------------------------------------
# Journals that are not what ytm-doctor writes
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def applied(linked, cli) -> tuple[str, Path]:
    """A fix run of the YTM202 fix: its run id and journal."""
    result = cli("fix", "--run", "--select", "YTM202", "--json")
    assert result.code == 0, result.out
    data = result.json()
    return data["run_id"], Path(data["journal"])


def _rewrite(journal: Path, change) -> None:
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    out = [change(line) for line in lines]
    journal.write_text("".join(x if isinstance(x, str) else json.dumps(x) + "\n" for x in out))


@pytest.mark.parametrize("line", ["[1, 2]", "42", '"text"', "null", "true"])
def test_a_journal_line_that_is_json_but_no_object_is_skipped(linked, cli, applied, line):
    run, journal = applied
    with open(journal, "a") as fh:
        fh.write(line + "\n")
    listed = cli("undo", "--list")
    clean(listed)
    assert run in listed.out
    before_undo = cli("undo", run)
    clean(before_undo)
    result = cli("undo", run, "--run")
    clean(result)
    assert result.code == 0, result.out
    assert os.readlink(linked.root / VAULT_LINK) == f"{ALIAS}/asset_vault/bgm"


BAD_ENTRIES = [
    ("action", ["rename"]),
    ("action", {"op": 5}),
    ("inverse", "rename"),
    ("inverse", {"op": "rename", "path": 5}),
    ("inverse", {"op": "rename", "path": {"root": "vault", "rel": ["x"]}}),
    ("inverse", {"op": "rename", "path": {"root": "vault", "rel": "x"}, "dest": 5}),
    ("inverse", {"op": "unlink", "path": {"root": "vault", "rel": "x"}, "target": ["a"]}),
]


@pytest.mark.parametrize(("key", "value"), BAD_ENTRIES)
def test_a_journal_entry_of_the_wrong_types_refuses_its_fix(linked, cli, applied, key, value):
    run, journal = applied

    def change(line: dict[str, Any]) -> dict[str, Any]:
        if line.get("type") == "begin" and line["seq"] == 2:  # the symlink
            line[key] = value
        return line

    _rewrite(journal, change)
    share_before = snapshot(linked.share)
    listed = cli("undo", "--list")
    clean(listed)
    assert run in listed.out
    for args in (("undo", run), ("undo", run, "--run")):
        result = cli(*args)
        clean(result)
    assert result.code == 1
    assert "refused" in result.out and "journal" in result.out
    assert snapshot(linked.share) == share_before  # refused whole: nothing undone
    assert audit_lines(linked)[-1]["refused"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"seq": "2"},
        {"fix": None},
        {"fix": [1]},
        {"seq": [2]},
    ],
)
def test_a_journal_entry_without_its_numbers_refuses_the_undo(linked, cli, applied, change):
    run, journal = applied
    _rewrite(journal, lambda line: {**line, **change} if line.get("type") == "begin" else line)
    share_before = snapshot(linked.share)
    assert run in cli("undo", "--list").out
    result = cli("undo", run, "--run")
    clean(result)
    assert result.code in (1, 4)
    assert snapshot(linked.share) == share_before


def test_a_done_line_of_the_wrong_types_refuses_its_fix(linked, cli, applied):
    run, journal = applied

    def change(line: dict[str, Any]) -> dict[str, Any]:
        if line.get("type") == "done":
            line["inverse_update"] = ["not", "an", "object"]
        return line

    _rewrite(journal, change)
    result = cli("undo", run, "--run")
    clean(result)
    assert result.code == 1


def test_a_journal_header_of_the_wrong_types_still_lists(linked, cli, applied):
    run, journal = applied
    _rewrite(
        journal,
        lambda line: {**line, "started": 5, "command": None} if line["type"] == "run" else line,
    )
    result = cli("undo", "--list")
    clean(result)
    assert run in result.out
