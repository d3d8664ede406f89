"""The data model: printable names from disk, JSON-safe details, entries, findings."""

from __future__ import annotations

import base64
import enum
import json
import os
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytm_doctor.model import (
    Entry,
    Finding,
    Rule,
    Severity,
    Subscription,
    display,
    has_undecodable,
    json_safe,
)


def from_disk(raw: bytes) -> str:
    """A name as os.listdir would return it."""
    return raw.decode("utf-8", "surrogateescape")


# --- display ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"bad\xff.txt", "bad\\xff.txt"),
        (b"\x80\x81", "\\x80\\x81"),
        (b"caf\xe9", "caf\\xe9"),  # latin-1 é: one undecodable byte
        ("café 日本語.mp4".encode(), "café 日本語.mp4"),
        (b"\xe6\x97", "\\xe6\\x97"),  # a truncated UTF-8 sequence
        (b"plain/path name", "plain/path name"),
    ],
)
def test_display_escapes_each_undecodable_byte(raw: bytes, shown: str) -> None:
    assert display(from_disk(raw)) == shown


def test_display_leaves_a_literal_backslash_alone() -> None:
    assert display("a\\xffb") == "a\\xffb"
    assert has_undecodable("a\\xffb") is False


@given(st.binary(max_size=64))
def test_display_matches_pythons_backslashreplace(raw: bytes) -> None:
    shown = display(from_disk(raw))
    assert shown == raw.decode("utf-8", "backslashreplace")
    assert not has_undecodable(shown)
    shown.encode("utf-8")  # always encodable


@given(st.text())
def test_display_is_identity_on_valid_text(text: str) -> None:
    assert display(text) == text


def test_has_undecodable() -> None:
    assert has_undecodable(from_disk(b"x\xff")) is True
    assert has_undecodable("日本語") is False


# --- json_safe --------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"


def test_json_safe_nested() -> None:
    bad = from_disk(b"b\xffd")
    value = {
        "path": Path("/w") / bad,
        "list": [bad, ("t", 1), {"inner": PurePosixPath("x/y")}],
        "set": {"b", "a", bad},
        "frozen": frozenset({2, 1}),
        "severity": Severity.WARNING,
        "color": Color.RED,
        "n": 1.5,
        "none": None,
        "flag": True,
        3: "int key",
    }
    assert json_safe(value) == {
        "path": "/w/b\\xffd",
        "list": ["b\\xffd", ["t", 1], {"inner": "x/y"}],
        "set": ["a", "b", "b\\xffd"],
        "frozen": [1, 2],
        "severity": "warning",
        "color": "red",
        "n": 1.5,
        "none": None,
        "flag": True,
        "3": "int key",
    }


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.binary(max_size=8).map(from_disk)
    | st.binary(max_size=8).map(from_disk).map(Path),
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.tuples(kids, kids)
        | st.dictionaries(st.text(max_size=6), kids, max_size=4)
    ),
    max_leaves=20,
)


def test_json_safe_escapes_keys() -> None:
    out = json_safe({from_disk(b"k\xff"): 1})
    assert out == {"k\\xff": 1}
    json.dumps(out, ensure_ascii=False).encode("utf-8")


@given(value=JSONISH)
def test_json_safe_values_always_encode(value) -> None:
    # names from disk as values (strings and paths, at any depth) always come out encodable
    safe = json_safe({"details": value})
    json.loads(json.dumps(safe, ensure_ascii=False).encode("utf-8"))


# --- findings ---------------------------------------------------------------------------------

RULE = Rule("YTM301", "broken-symlink", Severity.VIOLATION, "dangling link", tags=("links",))


def test_rule_finding_defaults_and_override() -> None:
    f = RULE.finding("m", root="workspace", path="a", abs_path="/w/a")
    assert f.severity is Severity.VIOLATION
    assert f.episode is None
    g = RULE.finding(
        "m",
        root="vault",
        path="a",
        abs_path="/v/a",
        severity=Severity.WARNING,
        channel="CH02",
        video="012",
    )
    assert g.severity is Severity.WARNING
    assert g.episode == "CH02-012"
    assert f.details == {} and f.details is not g.details


def test_finding_details_are_copied() -> None:
    details = {"a": 1}
    f = RULE.finding("m", root="workspace", path="a", abs_path="/a", details=details)
    details["a"] = 2
    assert f.details == {"a": 1}


def test_finding_json_of_a_non_utf8_path() -> None:
    raw = b"/ws/video/input/CH01/bad\xff\xfe"
    f = RULE.finding(
        "link " + from_disk(raw) + " is dangling",
        root="workspace",
        path=from_disk(b"video/input/CH01/bad\xff\xfe"),
        abs_path=from_disk(raw),
        details={"target": from_disk(b"../x\xff")},
    )
    data = f.to_json()
    assert data["path"] == "video/input/CH01/bad\\xff\\xfe"
    assert data["abs_path"] == "/ws/video/input/CH01/bad\\xff\\xfe"
    assert data["message"] == "link /ws/video/input/CH01/bad\\xff\\xfe is dangling"
    assert data["details"] == {"target": "../x\\xff"}
    assert base64.b64decode(data["abs_path_b64"]) == raw
    json.dumps(data, ensure_ascii=False).encode("utf-8")


def test_finding_json_of_a_utf8_path_has_no_b64() -> None:
    f = RULE.finding("m", root="workspace", path="日本/a", abs_path="/w/日本/a")
    data = f.to_json()
    assert "abs_path_b64" not in data
    assert data["path"] == "日本/a"
    assert data["severity"] == "violation"
    assert data["fix"] is None


def test_severity_rank_orders_most_severe_first() -> None:
    ordered = sorted([Severity.INFO, Severity.VIOLATION, Severity.WARNING], key=lambda s: s.rank)
    assert ordered == [Severity.VIOLATION, Severity.WARNING, Severity.INFO]
    assert Severity("warning") is Severity.WARNING


def test_sort_key_groups_by_severity_then_rule() -> None:
    a = Finding("YTM999", "n", Severity.VIOLATION, "m", "workspace", "z", "/z")
    b = Finding("YTM100", "n", Severity.WARNING, "m", "workspace", "a", "/a")
    c = Finding("YTM100", "n", Severity.VIOLATION, "m", "workspace", "b", "/b")
    assert sorted([a, b, c], key=Finding.sort_key) == [c, a, b]


# --- subscriptions and entries ----------------------------------------------------------------


def test_subscription_under_matches_on_path_boundaries() -> None:
    sub = Subscription(("workspace",), frozenset({"link"}), ("video/input",))
    assert sub.wants("video/input")
    assert sub.wants("video/input/CH01/x")
    assert not sub.wants("video/input2/x")
    assert not sub.wants("video")
    assert Subscription(("workspace",), frozenset({"link"})).wants("anything/at/all")


def entry_for(path: Path) -> Entry:
    return Entry("workspace", path.name, os.fspath(path), path.name, "link")


def test_target_state_of_real_links(tmp_path: Path) -> None:
    (tmp_path / "real").write_text("x")
    (tmp_path / "ok").symlink_to("real")
    (tmp_path / "dangling").symlink_to("missing")
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    (tmp_path / "through_file").symlink_to("real/below")
    assert entry_for(tmp_path / "ok").target_state() == "ok"
    assert entry_for(tmp_path / "dangling").target_state() == "dangling"
    assert entry_for(tmp_path / "a").target_state() == "loop"
    assert entry_for(tmp_path / "through_file").target_state() == "dangling"
    assert entry_for(tmp_path / "ok").readlink() == "real"


def test_vanished_entry_reads_as_dangling_and_no_target(tmp_path: Path) -> None:
    link = tmp_path / "gone"
    link.symlink_to("x")
    entry = entry_for(link)
    link.unlink()
    assert entry.readlink() is None
    assert entry.target_state() == "dangling"
