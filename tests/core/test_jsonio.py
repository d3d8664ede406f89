"""The one JSON reader (ytm_doctor/jsonio.py), on real files: bounded, BOM where asked, one
error type whose message is one line naming the file, symlinks refused where promised."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ytm_doctor import jsonio
from ytm_doctor.fix.journal import Journal, read_journal
from ytm_doctor.fixers.relink_draft import updated_info
from ytm_doctor.jsonio import (
    JsonInputError,
    expect_object,
    loads_json,
    loads_json_object,
    read_json,
    read_json_object,
)

BOM = b"\xef\xbb\xbf"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def one_line(exc: JsonInputError) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_a_small_object_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", b'{"namespace": "ns", "n": [1, 2]}')
    assert read_json(path, max_bytes=100, what="sentinel") == {"namespace": "ns", "n": [1, 2]}
    assert read_json_object(path, max_bytes=100, what="sentinel")["namespace"] == "ns"


def test_exactly_max_bytes_is_read_one_more_is_refused_in_one_line(tmp_path: Path) -> None:
    data = json.dumps({"pad": "x" * 50}).encode()
    path = write(tmp_path / "big.json", data)
    assert read_json(path, max_bytes=len(data), what="lock file") == {"pad": "x" * 50}
    with pytest.raises(JsonInputError) as info:
        read_json(path, max_bytes=len(data) - 1, what="lock file")
    assert info.value.kind == jsonio.TOO_LARGE
    assert one_line(info.value) == f"lock file {path}: larger than {len(data) - 1} bytes"


def test_an_over_size_file_is_not_read_whole(tmp_path: Path) -> None:
    # 8 MiB of a JSON string: refused after max_bytes + 1, never parsed truncated.
    path = write(tmp_path / "huge.json", b'"' + b"x" * (8 << 20) + b'"')
    with pytest.raises(JsonInputError, match="larger than 1024 bytes"):
        read_json(path, max_bytes=1024, what="status file")


def test_a_bom_is_accepted_where_allowed_and_invalid_json_elsewhere(tmp_path: Path) -> None:
    path = write(tmp_path / "status.json", BOM + b'{"publish_lock": true}')
    assert read_json(path, max_bytes=100, what="status file", allow_bom=True) == {
        "publish_lock": True
    }
    assert loads_json(BOM + b"[1]", what="x", source="mem", allow_bom=True) == [1]
    with pytest.raises(JsonInputError) as info:
        read_json(path, max_bytes=100, what="store manifest")
    assert info.value.kind == jsonio.INVALID_JSON
    assert "BOM" in one_line(info.value)


def test_invalid_json_is_one_line_naming_the_file_and_the_place(tmp_path: Path) -> None:
    path = write(tmp_path / "plan.json", b'{"schema": "x",\n  "fixes": [1, }')
    with pytest.raises(JsonInputError) as info:
        read_json(path, max_bytes=1000, what="plan file")
    text = one_line(info.value)
    assert text.startswith(f"plan file {path}: invalid JSON: ")
    assert "(line 2, column" in text
    assert info.value.kind == jsonio.INVALID_JSON
    assert info.value.detail in text


def test_an_empty_file_is_invalid_json(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.json", b"")
    with pytest.raises(JsonInputError, match="invalid JSON: Expecting value"):
        read_json(path, max_bytes=10, what="sentinel")


def test_bytes_that_are_not_utf8_say_where(tmp_path: Path) -> None:
    path = write(tmp_path / "info.json", b'{"a": "\xff"}')
    with pytest.raises(JsonInputError) as info:
        read_json(path, max_bytes=100, what="draft info", allow_bom=True)
    assert info.value.kind == jsonio.NOT_UTF8
    assert one_line(info.value).endswith("not UTF-8 (bad byte at offset 7)")


def test_deep_nesting_is_invalid_json_not_a_crash() -> None:
    with pytest.raises(JsonInputError, match="nested too deeply"):
        loads_json("[" * 100_000 + "]" * 100_000, what="journal line", source="j.jsonl:3")


def test_missing_and_unreadable_are_told_apart(tmp_path: Path) -> None:
    with pytest.raises(JsonInputError) as missing:
        read_json(tmp_path / "nope.json", max_bytes=10, what="sentinel")
    assert missing.value.kind == jsonio.MISSING
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(JsonInputError) as directory:
        read_json(tmp_path / "dir.json", max_bytes=10, what="sentinel")
    assert directory.value.kind == jsonio.UNREADABLE
    assert directory.value.detail == "is a directory, not a file"
    assert one_line(directory.value).endswith("cannot be read: is a directory, not a file")


def test_a_symlink_is_not_followed_when_the_reader_promises_so(tmp_path: Path) -> None:
    secret = write(tmp_path / "elsewhere.json", b'{"namespace": "someone_else"}')
    link = tmp_path / "sentinel.json"
    os.symlink(secret, link)
    # Followed by default (what every caller did before), refused on request.
    assert read_json(link, max_bytes=100, what="sentinel") == {"namespace": "someone_else"}
    with pytest.raises(JsonInputError) as info:
        read_json(link, max_bytes=100, what="sentinel", follow_symlinks=False)
    assert info.value.kind == jsonio.UNREADABLE
    assert "is a symlink" in one_line(info.value)
    # A dangling link is refused as a link too, not reported as a missing file.
    os.symlink(tmp_path / "gone.json", tmp_path / "dangling.json")
    with pytest.raises(JsonInputError) as dangling:
        read_json(tmp_path / "dangling.json", max_bytes=100, what="x", follow_symlinks=False)
    assert dangling.value.kind == jsonio.UNREADABLE


@pytest.mark.parametrize(("text", "type_name"), [("[1]", "list"), ('"s"', "str"), ("3", "int")])
def test_a_value_that_is_not_an_object_is_rejected(tmp_path: Path, text, type_name) -> None:
    path = write(tmp_path / "status.json", text.encode())
    with pytest.raises(JsonInputError) as info:
        read_json_object(path, max_bytes=100, what="status file")
    assert info.value.kind == jsonio.NOT_OBJECT
    assert one_line(info.value) == f"status file {path}: must be an object, got {type_name}"
    with pytest.raises(JsonInputError, match="must be an object"):
        expect_object(json.loads(text), what="plan file", source="p.json")


def test_text_is_parsed_as_is_bytes_are_decoded() -> None:
    assert loads_json('{"a": "\udcff"}', what="journal line", source="j:1") == {"a": "\udcff"}
    assert loads_json(b'{"a": 1}', what="action data", source="manifest") == {"a": 1}


def test_loads_json_object_is_loads_then_expect_object() -> None:
    assert loads_json_object(b'{"type": "run"}', what="journal line", source="j:1") == {
        "type": "run"
    }
    with pytest.raises(JsonInputError, match=r"^journal line j:2: must be an object, got int$"):
        loads_json_object("5", what="journal line", source="j:2")


def test_a_journal_skips_torn_and_non_object_lines(tmp_path: Path) -> None:
    journal = Journal(tmp_path, "RUN1", {"command": "fix"})
    journal.done(journal.begin(0, {"op": "mkdir"}, {"op": "rmdir"}))
    journal.begin(0, {"op": "write"}, {"op": "remove"})
    with open(journal.path, "a", encoding="utf-8") as fh:
        fh.write('5\n["x"]\n\n{"type": "done", "se')  # not records, then torn by a crash
    record = read_journal(tmp_path, "RUN1")
    assert record.header["command"] == "fix"
    assert [(e.seq, e.done) for e in record.entries] == [(1, True), (2, False)]


def test_relink_draft_keeps_the_keys_of_an_info_file_with_a_bom() -> None:
    # The draft checks read capcut_draft_info.json BOM-tolerant; the fixer must too.
    current = BOM + b'{"draft_path": "/old", "created_by": "capcut"}'
    data = json.loads(updated_info(current, "/new", "CH01-001"))
    assert data == {"draft_path": "/new", "created_by": "capcut", "episode": "CH01-001"}
