"""The Executor's symlink, replace and release operations (release as a link and as an unlink)
on a directory moved out of the roots, a link to it left in its place, after the action was
confined: right after confinement (before the operation starts), and while the operation runs
(right after it opened the directory). Either way the action fails and the moved folder is
exactly as the user moved it: no link made in it, no byte replaced or removed, no temp file."""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

import pytest
from treehash import snapshot

from ytm_doctor.config import load_config
from ytm_doctor.context import Context
from ytm_doctor.fix.executor import Executor, Override
from ytm_doctor.fix.journal import Journal
from ytm_doctor.fix.operation import OperationRegistry
from ytm_doctor.fix.plan import Action, Fix, PathRef


class Setup:
    def __init__(self, tmp: Path, folder: str) -> None:
        self.tmp = tmp
        self.ws = tmp / "ws"
        self.share = tmp / "share"
        self.outside = tmp / "outside"
        self.folder = self.ws / folder  # the action's directory, swapped while it runs
        for made in (self.folder, self.share / "uploads", self.outside):
            made.mkdir(parents=True)

    def executor(self) -> Executor:
        options = argparse.Namespace(
            config=None,
            # The stop threshold against this machine's free space is tested on its own.
            set=["shared_storage.require_mount=false", "disk.stop_free_gib=0"],
            workspace_root=str(self.ws),
            share_root=str(self.share),
            fallback_root=str(self.tmp / "outbox"),
        )
        ctx = Context(load_config(options, environ={}))
        journal = Journal(ctx.paths.report_dir, "RUN1", {"command": "test"})
        override = Override("test", "--allow-unposted")  # release is destructive
        return Executor(ctx, OperationRegistry.builtin(), journal=journal, override=override)

    def swap(self) -> None:
        """Move the folder out of the roots and leave a link to it behind (once)."""
        if not self.folder.is_symlink():
            os.rename(self.folder, self.outside / self.folder.name)
            os.symlink(self.outside / self.folder.name, self.folder)

    def swap_after_confined(self, monkeypatch, op: str) -> None:
        """Swap once the Executor confined the action: its inverse is taken right after."""
        operation = OperationRegistry.builtin().get(op)
        real_inverse = type(operation).inverse

        def inverse_then_swap(this, action, path, ex):
            inverse = real_inverse(this, action, path, ex)
            self.swap()
            return inverse

        monkeypatch.setattr(type(operation), "inverse", inverse_then_swap)

    def swap_when_opened(self, monkeypatch) -> None:
        """Swap right after the operation opened the folder (the operation is under way)."""
        from ytm_doctor.anchor import Anchor

        real_open = Anchor.open.__func__

        def open_then_swap(cls, directory, real=None):
            anchor = real_open(cls, directory, real)
            if os.fspath(directory) == str(self.folder):
                self.swap()
            return anchor

        monkeypatch.setattr(Anchor, "open", classmethod(open_then_swap))


WAV = "audio/final/CH01/001/CH01-001.wav"  # what store.delete_allowed lets release remove
OPS = {
    "symlink": Action("symlink", PathRef("workspace", "audio/final/CH01/001/l"), target="x"),
    "replace": Action("replace", PathRef("workspace", WAV), data=b"new"),
    "release": Action(
        "release",
        PathRef("workspace", WAV),
        source=PathRef("share", "uploads/f.wav"),
        sha256=hashlib.sha256(b"old").hexdigest(),
        target="../../../../../share/uploads/f.wav",
    ),
    "release-unlink": Action(
        "release",
        PathRef("workspace", WAV),
        source=PathRef("share", "uploads/f.wav"),
        sha256=hashlib.sha256(b"old").hexdigest(),
    ),
}


@pytest.mark.parametrize("when", ["after-confined", "while-running"])
@pytest.mark.parametrize("op", list(OPS))
def test_operations_refuse_a_parent_swapped_after_it_was_confined(tmp_path, op, when):
    s = Setup(tmp_path, "audio/final/CH01/001")
    (s.folder / "CH01-001.wav").write_bytes(b"old")
    (s.share / "uploads" / "f.wav").write_bytes(b"old")
    outside_before = snapshot(s.outside)
    ex = s.executor()
    with pytest.MonkeyPatch.context() as mp:
        if when == "after-confined":
            s.swap_after_confined(mp, OPS[op].op)
        else:
            s.swap_when_opened(mp)
        result = ex.apply(1, Fix("test", "T001", "t", [OPS[op]], channel="CH01", video="001"))
    assert (s.ws / s.folder).is_symlink(), "never swapped"
    assert result.status == "failed", result
    why = ("moved or replaced by a link", "leads outside the configured roots")
    assert any(w in result.reasons[0] for w in why), result.reasons
    # Outside: what was there, and the folder the user moved there exactly as it was (no link
    # made in it, no byte replaced or removed, no temp file).
    assert snapshot(s.outside) == {
        **outside_before,
        "001": ("dir",),
        "001/CH01-001.wav": ("file", hashlib.sha256(b"old").hexdigest()),
    }
