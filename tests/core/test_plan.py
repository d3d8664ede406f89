"""The plan model (SPEC §6.1, §10): paths a plan may name, the state preconditions record and
compare, and the JSON a plan file round-trips through."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ytm_doctor.errors import UsageError
from ytm_doctor.fix import state as plan_mod
from ytm_doctor.fix.operation import OperationRegistry
from ytm_doctor.fix.plan import (
    PLAN_SCHEMA,
    Action,
    Fix,
    PathRef,
    Plan,
    Unfixable,
    first_touches,
)
from ytm_doctor.fix.state import describe_state, path_state, state_matches

REGISTRY = OperationRegistry.builtin()

# ---------------------------------------------------------------------------------------------
# PathRef: a plan can only name plain relative paths under a named root
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    ["../../etc/x", "/etc/passwd", "a/../../b", "..", "", "video/../..", "/"],
)
def test_pathref_rejects_paths_that_could_leave_the_root(rel):
    with pytest.raises(UsageError, match="not a plain relative path"):
        PathRef("workspace", rel)


@pytest.mark.parametrize("rel", ["a", "video/input/CH01/bgm", ".hidden/x", "a..b/c..", "名前/x"])
def test_pathref_accepts_plain_relative_paths(rel):
    ref = PathRef("workspace", rel)
    assert str(ref) == f"workspace:{rel}"
    assert PathRef.from_json(ref.to_json()) == ref


@pytest.mark.parametrize(
    "data", [None, "workspace:x", ["workspace", "x"], {"root": "workspace"}, {"rel": "x"}]
)
def test_pathref_from_json_rejects_malformed(data):
    with pytest.raises(UsageError):
        PathRef.from_json(data)


def test_pathref_sibling_and_name():
    ref = PathRef("vault", "video/input/CH01/bgm")
    assert ref.name == "bgm"
    assert ref.sibling("bgm.bak") == PathRef("vault", "video/input/CH01/bgm.bak")
    assert PathRef("vault", "top").sibling("other") == PathRef("vault", "other")


# ---------------------------------------------------------------------------------------------
# path_state: what a precondition records (links are never followed)
# ---------------------------------------------------------------------------------------------


def test_path_state_of_each_kind(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / ".hidden").write_bytes(b"x")
    (tmp_path / "f").write_bytes(b"hello")
    os.symlink("nowhere/at/all", tmp_path / "dangling")
    os.symlink("full", tmp_path / "to_dir")

    assert path_state(tmp_path / "missing") == {"kind": "missing"}
    assert path_state(tmp_path / "f" / "under_a_file") == {"kind": "missing"}
    assert path_state(tmp_path / "empty") == {"kind": "dir", "empty": True}
    assert path_state(tmp_path / "full") == {"kind": "dir", "empty": False}
    assert path_state(tmp_path / "f") == {
        "kind": "file",
        "size": 5,
        "sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    }
    # A link is described by its own target, whether or not that exists, never followed.
    assert path_state(tmp_path / "dangling") == {"kind": "link", "target": "nowhere/at/all"}
    assert path_state(tmp_path / "to_dir") == {"kind": "link", "target": "full"}


def test_large_file_is_compared_by_size_and_mtime(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(plan_mod, "HASH_LIMIT", 4)
    big = tmp_path / "big"
    big.write_bytes(b"0123456789")
    state = path_state(big)
    assert state["kind"] == "file" and state["size"] == 10
    assert "sha256" not in state and state["mtime_ns"] == os.lstat(big).st_mtime_ns
    os.utime(big, ns=(1, 1))
    assert not state_matches(state, path_state(big))


def test_fifo_is_other(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe")
    assert path_state(tmp_path / "pipe") == {"kind": "other"}


# ---------------------------------------------------------------------------------------------
# state_matches: what makes a plan stale
# ---------------------------------------------------------------------------------------------


def test_repointed_link_is_stale(tmp_path: Path):
    link = tmp_path / "l"
    os.symlink("/srv/a", link)
    planned = path_state(link)
    assert state_matches(planned, path_state(link))
    os.unlink(link)
    os.symlink("/srv/b", link)
    assert not state_matches(planned, path_state(link))


def test_link_replaced_by_dir_with_same_name_is_stale(tmp_path: Path):
    link = tmp_path / "l"
    os.symlink("x", link)
    planned = path_state(link)
    os.unlink(link)
    link.mkdir()
    assert not state_matches(planned, path_state(link))


def test_changed_file_content_is_stale_even_at_same_size(tmp_path: Path):
    f = tmp_path / "f"
    f.write_bytes(b"aaaa")
    planned = path_state(f)
    f.write_bytes(b"bbbb")
    assert not state_matches(planned, path_state(f))


def test_dir_recorded_non_empty_still_matches_with_more_files(tmp_path: Path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a").write_bytes(b"")
    planned = path_state(d)
    (d / "b").write_bytes(b"")
    assert state_matches(planned, path_state(d))


def test_dir_recorded_empty_is_stale_once_something_is_in_it(tmp_path: Path):
    d = tmp_path / "d"
    d.mkdir()
    planned = path_state(d)
    (d / "new").write_bytes(b"")
    assert not state_matches(planned, path_state(d))


def test_missing_path_that_appeared_is_stale(tmp_path: Path):
    planned = path_state(tmp_path / "x")
    (tmp_path / "x").write_bytes(b"")
    assert not state_matches(planned, path_state(tmp_path / "x"))


@pytest.mark.parametrize(
    ("state", "text"),
    [
        ({"kind": "link", "target": "../a"}, "link -> ../a"),
        ({"kind": "dir", "empty": True}, "empty dir"),
        ({"kind": "dir", "empty": False}, "dir"),
        ({"kind": "missing"}, "missing"),
        (
            {"kind": "file", "size": 3, "sha256": "abcdef0123456789"},
            "file 3 bytes sha256 abcdef012345",
        ),
    ],
)
def test_describe_state(state, text):
    assert describe_state(state) == text


# ---------------------------------------------------------------------------------------------
# Actions, fixes and plan files
# ---------------------------------------------------------------------------------------------


def _all_ops() -> list[Action]:
    ws = "workspace"
    return [
        Action("mkdir", PathRef(ws, "a")),
        Action("write", PathRef(ws, "a/f"), data=b"\x00\xffbinary\n"),
        Action("replace", PathRef("vault", "s.json"), data=b"{}"),
        Action("rename", PathRef(ws, "l"), dest=PathRef(ws, "l.bak"), note="aside"),
        Action("symlink", PathRef(ws, "l"), target="../x"),
        Action("copy", PathRef(ws, "c"), source=PathRef("share", "asset_vault/bgm")),
    ]


def test_actions_round_trip_through_json():
    for action in _all_ops():
        again = Action.from_json(json.loads(json.dumps(action.to_json())))
        assert again == action
        assert REGISTRY.describe(again) == REGISTRY.describe(action)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"op": "rm", "path": {"root": "workspace", "rel": "x"}}, "not a known operation"),
        ({"op": "rename", "path": {"root": "workspace", "rel": "x"}}, "lacks dest"),
        ({"op": "copy", "path": {"root": "workspace", "rel": "x"}}, "lacks source"),
        ({"op": "symlink", "path": {"root": "workspace", "rel": "x"}}, "lacks target"),
        ({"op": "write", "path": {"root": "workspace", "rel": "x"}}, "lacks data"),
        (
            {"op": "write", "path": {"root": "workspace", "rel": "x"}, "data_b64": "!!"},
            "not valid base64",
        ),
        ({"op": "mkdir", "path": {"root": "workspace", "rel": "../../etc/x"}}, "plain relative"),
        ({"op": "mkdir", "path": {"root": "workspace", "rel": "/etc/x"}}, "plain relative"),
        (
            {
                "op": "rename",
                "path": {"root": "workspace", "rel": "a"},
                "dest": {"root": "workspace", "rel": "../b"},
            },
            "plain relative",
        ),
    ],
)
def test_malformed_actions_are_usage_errors(data, message):
    with pytest.raises(UsageError, match=message):
        REGISTRY.validate(Action.from_json(data))


def _plan() -> Plan:
    fix = Fix(
        fixer="relativize-symlink",
        rule="YTM202",
        title="t",
        actions=_all_ops(),
        fingerprints=["abc"],
        channel="CH01",
        video="001",
        stage="hot",
        destructive=True,
        preconditions=[(PathRef("workspace", "l"), {"kind": "link", "target": "/srv/x"})],
    )
    return Plan(
        created=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        fixes=[fix],
        unfixable=[Unfixable("YTM301", "fp", "workspace:x", "why")],
        roots={"workspace": "/w"},
        host="mac",
    )


def test_plan_file_round_trip():
    plan = _plan()
    text = plan.dumps()
    assert json.loads(text)["schema"] == PLAN_SCHEMA
    again = Plan.loads(text, "plan.json", REGISTRY)
    assert again.created == plan.created
    assert again.host == "mac"
    assert again.roots == {"workspace": "/w"}
    assert again.stamp == "20260102T030405Z"
    [fix] = again.fixes
    assert fix.to_json() == plan.fixes[0].to_json()
    assert fix.episode == "CH01-001"
    assert fix.destructive and fix.stage == "hot"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"schema": "other"}', "not a ytm-doctor plan"),
        ("[]", "not a ytm-doctor plan"),
        (json.dumps({"schema": PLAN_SCHEMA}), "malformed plan"),
        (json.dumps({"schema": PLAN_SCHEMA, "created": "yesterday", "fixes": []}), "malformed"),
        (
            json.dumps({"schema": PLAN_SCHEMA, "created": "2026-01-01T00:00:00Z", "fixes": [1]}),
            "must be an object",
        ),
        (
            json.dumps(
                {
                    "schema": PLAN_SCHEMA,
                    "created": "2026-01-01T00:00:00Z",
                    "fixes": [{"fixer": "f", "rule": "r"}],
                }
            ),
            "malformed",
        ),
    ],
)
def test_bad_plan_files_are_one_line_usage_errors(text, message):
    with pytest.raises(UsageError, match=message) as info:
        Plan.loads(text, "plan.json", REGISTRY)
    assert "\n" not in str(info.value)


def test_hand_edited_precondition_outside_the_root_is_rejected():
    data = _plan().to_json()
    data["fixes"][0]["preconditions"][0]["path"]["rel"] = "../../etc/shadow"
    with pytest.raises(UsageError, match="plain relative path"):
        Plan.loads(json.dumps(data), "plan.json", REGISTRY)


def test_first_touches_in_order_without_repeats():
    # a/f lies beneath "a", which the fix itself creates: it has no state before the fix.
    refs = first_touches(_all_ops(), REGISTRY)
    assert refs == [
        PathRef("workspace", "a"),
        PathRef("vault", "s.json"),
        PathRef("workspace", "l"),
        PathRef("workspace", "l.bak"),
        PathRef("workspace", "c"),
        PathRef("share", "asset_vault/bgm"),
    ]
