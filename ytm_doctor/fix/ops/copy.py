"""copy(source -> path): copy a file or a whole tree (links as links) into a hidden sibling, then
rename it into place, so nothing partial ever has the final name. The sibling is made inside the
destination's directory held open (ytm_doctor.anchor): a directory swapped for a link mid-copy
refuses the copy and keeps none of it. Undo: remove the copy, only while it is identical to what
was copied (a manifest of kinds, sizes, link targets and hashes) and while its source still
holds the same (or an earlier step of the undo brings it back): the copy may have become the
only one."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from typing import Any

from ytm_doctor.anchor import Anchor
from ytm_doctor.fix.operation import Operation, source_problems
from ytm_doctor.fix.ops.treecopy import copy_into, tree_bytes
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.fix.state import path_state
from ytm_doctor.hashing import sha256_file
from ytm_doctor.temps import temp_name


class Copy(Operation):
    name = "copy"
    needs = ("source",)

    def describe(self, action: Action) -> str:
        return f"copy     {action.source} -> {action.path}"

    def creates(self, action: Action) -> PathRef | None:
        return action.path

    def adds_bytes(self, action, path, ex) -> int:
        return tree_bytes(ex.confine_source(action.source))

    def inverse(self, action, path, ex) -> dict[str, Any]:
        return {
            "op": "rmtree",
            "path": action.path.to_json(),
            "manifest": None,
            "source": action.source.to_json(),
        }

    def journaled_inverse(self, action: dict[str, Any], inverse: dict[str, Any]) -> dict[str, Any]:
        # Journals written before the inverse named its source: the action names it.
        if "source" not in inverse and isinstance(action.get("source"), dict):
            return {**inverse, "source": action["source"]}
        return inverse

    def do(self, action, path, inverse, ex) -> dict[str, Any]:
        source = ex.confine_source(action.source)
        with ex.anchor(path) as into:
            return {"manifest": copy_atomic(source, into, os.path.basename(path))}

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        ref = PathRef.from_json(inverse["path"])
        if inverse.get("manifest") is None:
            return [f"{ref}: the copy never completed; nothing to undo"]
        kind = path_state(path).get("kind")
        if kind not in ("dir", "file") or tree_manifest(path) != inverse["manifest"]:
            return [f"{ref} changed since it was copied; left in place"]
        return source_problems(inverse, ref, ex, _differs(inverse["manifest"]))

    def undo(self, inverse, path, ex) -> None:
        # Identical to the copy the fix made (checked just before); its source still exists.
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def _differs(manifest: Any) -> Callable[[str], str | None]:
    def differs(source: str) -> str | None:
        try:
            if tree_manifest(os.path.realpath(source)) == manifest:
                return None
        except OSError:
            pass
        return "is gone or changed since it was copied, so the copy may be the only one left"

    return differs


def tree_manifest(root: str) -> list[list[Any]]:
    """What a copy holds: [rel, kind, size or link target, sha256 of files], sorted ("." for a
    single file). The hashes let undo tell an untouched copy from one a user edited."""
    if not os.path.isdir(root) or os.path.islink(root):
        return [[".", "file", os.path.getsize(root), sha256_file(root)]]
    items: list[list[Any]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if os.path.islink(full):
                items.append([rel, "link", os.readlink(full)])
            elif os.path.isdir(full):
                items.append([rel, "dir", 0])
            else:
                items.append([rel, "file", os.path.getsize(full), sha256_file(full)])
    return sorted(items)


def copy_atomic(source: str, into: Anchor, name: str) -> list[list[Any]]:
    """Copy a file or a tree into a hidden sibling of `name` in `into`, then rename: nothing
    partial ever has the final name (an interrupted copy leaves only the hidden temp), and the
    rename happens only while `into` is still the directory at its path (ParentChanged, the
    temp removed, otherwise)."""
    if into.lexists(name):
        raise FileExistsError(into.join(name))
    tmp = temp_name(name)
    try:
        manifest = copy_into(source, into, tmp)
        into.verify()
        if into.lexists(name):  # a directory cannot be linked into place: check, then rename
            raise FileExistsError(into.join(name))
        into.rename(tmp, name)
        into.confirm(name)
    except BaseException:
        with contextlib.suppress(OSError):
            into.remove_tree(tmp)
        raise
    into.fsync()
    return manifest
