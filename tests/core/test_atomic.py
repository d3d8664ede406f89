"""Atomic writes (SPEC §6.1, §10): a reader sees the old file or the new one, never half."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ytm_doctor.atomic import create_atomic, fsync_dir, write_atomic


def test_creates_a_new_file(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    write_atomic(target, "héllo")
    assert target.read_bytes() == "héllo".encode()
    assert os.listdir(tmp_path) == ["new.json"]


def test_replaces_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "latest.json"
    target.write_text("old old old old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["latest.json"]


def test_replace_is_a_new_inode_so_open_readers_keep_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    with open(target) as reader:
        write_atomic(target, "new")
        assert reader.read() == "old"
    assert target.read_text() == "new"


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o755])
def test_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "f"
    write_atomic(target, "x", mode=mode)
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_failed_rename_keeps_old_file_and_removes_temp(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "latest.json"
    target.write_text("precious")

    def fail(src, dst, *a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "replacement")
    assert target.read_text() == "precious"
    assert os.listdir(tmp_path) == ["latest.json"]


def test_failed_write_keeps_old_file_and_removes_temp(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "latest.json"
    target.write_text("precious")
    real_fsync = os.fsync
    calls = []

    def fail_first(fd):
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(5, "Input/output error")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fail_first)
    with pytest.raises(OSError, match="Input/output"):
        write_atomic(target, "replacement")
    assert target.read_text() == "precious"
    assert os.listdir(tmp_path) == ["latest.json"]


def test_interrupt_mid_write_leaves_nothing_under_the_final_name(tmp_path, monkeypatch) -> None:
    target = tmp_path / "report.json"

    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "half")
    assert os.listdir(tmp_path) == []


def test_missing_parent_dir_raises_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "no" / "such" / "dir" / "f", "x")
    assert os.listdir(tmp_path) == []


def test_fsync_dir_on_missing_dir_is_harmless(tmp_path: Path) -> None:
    fsync_dir(tmp_path / "missing")
    fsync_dir(tmp_path)


@settings(max_examples=50, deadline=None)
@given(old=st.binary(max_size=2048), new=st.one_of(st.binary(max_size=4096), st.text()))
def test_round_trip(old: bytes, new) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "f"
        target.write_bytes(old)
        write_atomic(target, new)
        expected = new.encode("utf-8") if isinstance(new, str) else new
        assert target.read_bytes() == expected
        assert os.listdir(tmp) == ["f"]


@pytest.mark.parametrize("hard_links", [True, False], ids=["link", "no-hard-links"])
def test_create_atomic_never_replaces_with_or_without_hard_links(
    tmp_path: Path, monkeypatch, hard_links: bool
) -> None:
    # One publish step (anchor.Anchor.publish) serves create_atomic and the store's copies.
    if not hard_links:  # some SMB servers: link() fails, check-then-rename is the fallback

        def no_link(*args, **kwargs):
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_link)
    target = tmp_path / "manifest.json"
    create_atomic(target, b"first")
    assert target.read_bytes() == b"first"
    with pytest.raises(FileExistsError):
        create_atomic(target, b"second")
    assert target.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["manifest.json"]
