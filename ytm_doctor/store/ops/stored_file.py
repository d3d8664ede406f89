"""What the store's operations share: the directories a copy makes above itself (removed again
by undo where empty) and undoing a stored file (removed only while its full hash matches)."""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ytm_doctor.fix.operation import Operation, source_problems, unchanged
from ytm_doctor.fix.plan import PathRef
from ytm_doctor.fix.state import path_state
from ytm_doctor.hashing import CopyError, sha256_of

if TYPE_CHECKING:
    from ytm_doctor.fix.executor import Executor


def make_parents(ex: Executor, ref: PathRef) -> list[dict[str, str]]:
    """Make the missing directories above `ref` (inside its root; a missing outbox root is made
    on first use), each one inside the one above it as held open (never through a path a link
    may have been swapped into). Returns them deepest first, for undo."""
    missing = []
    parent = posixpath.dirname(ref.rel)
    while parent and not os.path.isdir(ex.resolve(PathRef(ref.root, parent))):
        missing.append(parent)
        parent = posixpath.dirname(parent)
    root_dir = ex.roots[ref.root]
    if not os.path.isdir(root_dir):
        if ref.root != "outbox":
            raise CopyError(errno.ENOENT, "the root directory does not exist", root_dir)
        os.makedirs(root_dir)
    made: list[dict[str, str]] = []
    if not missing:
        return made
    anchor = ex.anchor_dir(ex.resolve(PathRef(ref.root, parent)) if parent else root_dir)
    try:
        for rel in reversed(missing):
            name = posixpath.basename(rel)
            anchor.verify()
            anchor.mkdir(name)
            anchor.confirm(name)
            made.append(PathRef(ref.root, rel).to_json())
            anchor.fsync()
            child = anchor.child(name)
            anchor.close()
            anchor = child
    except BaseException:
        remove_dirs(ex, list(reversed(made)))
        raise
    finally:
        anchor.close()
    return list(reversed(made))


def remove_dirs(ex: Executor, dirs: list[dict[str, str]]) -> None:
    for item in dirs:
        with contextlib.suppress(Exception):  # Refused too: best effort
            os.rmdir(ex.confine(PathRef.from_json(item)))


def full_state(path: str, state: dict[str, Any]) -> dict[str, Any]:
    """`state` with the file's SHA-256 even when path_state skipped it (large files)."""
    if state.get("kind") != "file" or "sha256" in state:
        return state
    try:
        digest, _ = sha256_of(path)
    except OSError:
        return state
    return {**state, "sha256": digest}


def _differs(ex: Executor, sha256: str) -> Callable[[str], str | None]:
    """The stored copy's content is still at its source: the source's full hash, read now."""

    def differs(source: str) -> str | None:
        try:
            digest = ex.hashes.sha256(source, fresh=True)
        except OSError:
            return "is gone or no longer a plain file, so the stored copy is its only copy"
        if digest != sha256:
            return (
                "changed since it was stored, so the stored copy is the only copy of what "
                "was stored"
            )
        return None

    return differs


class StoredFile(Operation):
    """An operation that creates one file in the store; undo removes it, only while its full
    hash is the one recorded when it completed, then the dirs it made where empty."""

    def inverse(self, action, path, ex) -> dict[str, Any]:
        # sha256 and size are known once the file is verified (journaled with "done").
        inverse: dict[str, Any] = {
            "op": "remove",
            "path": action.path.to_json(),
            "sha256": None,
            "dirs": [],
        }
        if action.source is not None:
            inverse["source"] = action.source.to_json()
        return inverse

    def journaled_inverse(self, action: dict[str, Any], inverse: dict[str, Any]) -> dict[str, Any]:
        # Journals written before the inverse named its source: the action names it.
        if "source" not in inverse and isinstance(action.get("source"), dict):
            return {**inverse, "source": action["source"]}
        return inverse

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        ref = PathRef.from_json(inverse["path"])
        if inverse.get("sha256") is None:
            # Never verified: whatever is at the path now was not provably made by this run
            # (a later run may have stored it), so it stays.
            return [f"{ref}: the copy never completed; what is there now is left in place"]
        expected: dict[str, Any] = {"kind": "file", "sha256": inverse["sha256"]}
        actual = path_state(path)
        if inverse.get("size") is not None:
            # A stored copy of any size: compared by its full hash, not size and mtime.
            expected["size"] = inverse["size"]
            actual = full_state(path, actual)
        return unchanged(ref, expected, actual) or source_problems(
            inverse, ref, ex, _differs(ex, inverse["sha256"])
        )

    def undo(self, inverse, path, ex) -> None:
        os.unlink(path)
        remove_dirs(ex, inverse.get("dirs") or [])
