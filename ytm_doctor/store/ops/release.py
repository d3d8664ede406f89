"""release(path, source, sha256[, target]): after storing, delete the local file or replace it
with a link to the stored copy, only once the stored copy is re-read now and has the verified
SHA-256, as has the local file. Undo: copy the stored bytes back (verified)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from typing import TYPE_CHECKING, Any

from ytm_doctor.anchor import Anchor
from ytm_doctor.fix.operation import Operation, Refused, unchanged
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.fix.state import path_state
from ytm_doctor.hashing import CopyError
from ytm_doctor.store.copy import copy_verified
from ytm_doctor.store.policy import release_refusal

if TYPE_CHECKING:
    from ytm_doctor.fix.executor import Executor


class Release(Operation):
    name = "release"
    needs = ("source",)
    destructive = True
    restores = True

    def describe(self, action: Action) -> str:
        digest = f" (sha256 {action.sha256[:12]})" if action.sha256 else ""
        what = f"symlink -> {action.target}" if action.target else "removed"
        return f"release  {action.path} ({what}, once {action.source} re-verifies{digest})"

    def is_destructive(self, action: Action) -> bool:
        # An outbox copy released once its shared copy verifies is a staging copy, not the
        # episode's own file: flushing the outbox needs no override.
        return action.path.root != "outbox"

    def inverse(self, action, path, ex) -> dict[str, Any]:
        # The hash is journaled before the local file goes, so an undo after a crash between
        # the unlink and the "done" line can still copy the stored bytes back, verified.
        source = ex.confine_source(action.source)
        return {
            "op": "reinstate",
            "path": action.path.to_json(),
            "source": action.source.to_json(),
            "sha256": action.sha256 or ex.hashes.recorded(source),
            "target": action.target,
        }

    def do(self, action, path, inverse, ex) -> dict[str, Any]:
        source = ex.confine_source(action.source)
        # The hash recorded when planned, else the one this run's store_copy just verified.
        expected = inverse["sha256"]
        if not expected:
            raise CopyError(errno.EINVAL, "no verified SHA-256 to release against", path)
        # Held open from here: the file goes (or becomes a link) only in the directory that
        # was confined, however long the re-reads below take.
        with ex.anchor(path) as into:
            name = os.path.basename(path)
            st = into.lstat(name)
            if not stat.S_ISREG(st.st_mode):
                raise CopyError(errno.EINVAL, "is not a regular file; left as it is", path)
            if os.path.samestat(st, os.stat(source)):
                # The "stored copy" is this very file (or a link or hard link to it): no copy.
                raise CopyError(
                    errno.EINVAL, f"{action.source} is this file, not a copy of it", path
                )
            # The policy, and where the copy is, judged now: a plan file cannot widen either.
            refusal = release_refusal(ex.ctx, action.path, action.source)
            if refusal is not None:
                raise Refused(refusal)
            self._verify_both(action, source, path, expected, ex)
            if action.target:
                _replace_by_link(into, name, action.target)
            else:
                into.remove(name)
            into.fsync()
        return {"sha256": expected}

    @staticmethod
    def _verify_both(action: Action, source: str, path: str, expected: str, ex: Executor) -> None:
        # Re-read the stored copy now, whatever was verified before: the local bytes go next.
        stored = ex.hashes.sha256(source, fresh=True)
        if stored != expected:
            raise CopyError(
                errno.EIO,
                f"the stored copy {action.source} has SHA-256 {stored}, not {expected}; "
                "the local file is kept",
                source,
            )
        local = ex.hashes.sha256(path)
        if local != expected:
            raise CopyError(
                errno.EIO,
                f"changed since it was stored (SHA-256 {local}, stored {expected}); it is kept",
                path,
            )

    def undo_adds_bytes(self, inverse, path, ex) -> int:
        # Undo copies the stored bytes back (the release itself only removes or links).
        return os.stat(ex.confine(PathRef.from_json(inverse["source"]))).st_size

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        ref = PathRef.from_json(inverse["path"])
        if inverse.get("sha256") is None:
            return [f"{ref}: the release never completed; nothing to undo"]
        expected: dict[str, Any] = (
            {"kind": "link", "target": inverse["target"]}
            if inverse.get("target")
            else {"kind": "missing"}
        )
        source_ref = PathRef.from_json(inverse["source"])
        try:
            source = ex.confine(source_ref)
        except Refused as exc:  # the share went offline
            return [str(exc)]
        if not os.path.isfile(source) or os.path.islink(source):
            return [f"{source_ref}: the stored copy is gone; cannot bring {ref} back"]
        return unchanged(ref, expected, path_state(path))

    def undo(self, inverse, path, ex) -> None:
        source = ex.confine(PathRef.from_json(inverse["source"]))
        with ex.anchor(path) as into:
            copy_verified(
                source,
                path,
                into=into,
                expected_sha256=inverse["sha256"],
                replace_link=bool(inverse.get("target")),
            )


def _replace_by_link(into: Anchor, name: str, target: str) -> None:
    """`name` becomes a link to `target` in one rename, made and renamed inside `into`."""
    link = f"{name}.ytm-link-{os.getpid()}"
    into.symlink(target, link)
    try:
        into.publish(link, name, replace=True)
    except BaseException:
        with contextlib.suppress(OSError):
            into.unlink(link)
        raise
