"""The Executor's store operations (SPEC §6.2, seed 000 §4–5). These functions are part of the
Executor (ytm_doctor/executor.py calls them with itself, after confining every path); they live
here to keep that module small.

    store_copy(source -> path[, sha256])   a verified copy (storecopy.copy_verified); missing
                                           parent dirs are made. Inverse: remove (by sha256).
    store_manifest(path, data)             a manifest whose entries are filled in from the files
                                           as verified now. Inverse: remove (by sha256).
    release(path, source, sha256[, target]) delete the local file, or replace it with a symlink
                                           to `target`, only after `source` (the stored copy)
                                           is re-read and has `sha256`, as has the local file.
                                           Inverse: reinstate (copy the stored bytes back).
    retire(path)                           move a small file into the run's backups (an outbox
                                           manifest once its items are on the share).
                                           Inverse: unretire.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import posixpath
import stat
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import create_atomic, fsync_dir
from ytm_doctor.clock import now_iso_micros
from ytm_doctor.manifest import dumps
from ytm_doctor.plan import Action, PathRef, describe_state, path_state, state_matches
from ytm_doctor.storecopy import CopyError, FileSig, copy_verified, sha256_of

if TYPE_CHECKING:
    from ytm_doctor.executor import Executor

OPS = ("store_copy", "store_manifest", "release", "retire")
INVERSES = ("reinstate", "unretire")


def inverse_for(ex: Executor, action: Action) -> dict[str, Any]:
    ref = action.path.to_json()
    if action.op in ("store_copy", "store_manifest"):
        # sha256 and size are known once the copy is verified (journaled with "done").
        return {"op": "remove", "path": ref, "sha256": None, "dirs": []}
    if action.op == "release":
        return {
            "op": "reinstate",
            "path": ref,
            "source": action.source.to_json(),
            "sha256": action.sha256,
            "target": action.target,
        }
    backup = ex._backup_ref(action.path)
    return {"op": "unretire", "path": ref, "backup": backup.to_json(), "sha256": None}


def do(ex: Executor, action: Action, path: str, inverse: dict[str, Any]) -> dict[str, Any]:
    if action.op == "store_copy":
        return _store_copy(ex, action, path)
    if action.op == "store_manifest":
        return _store_manifest(ex, action, path)
    if action.op == "release":
        return _release(ex, action, path)
    return _retire(ex, action, path, inverse)


def _store_copy(ex: Executor, action: Action, path: str) -> dict[str, Any]:
    source = ex.confine_source(action.source)
    made = _make_parents(ex, action.path)
    try:
        copied = copy_verified(source, path, expected_sha256=action.sha256)
    except BaseException:
        _remove_dirs(ex, made)
        raise
    ex.hashes.remember(source, copied.source, copied.sha256)
    ex.hashes.remember(path, FileSig.of(os.lstat(path)), copied.sha256)
    return {"sha256": copied.sha256, "size": copied.size, "dirs": made}


def _store_manifest(ex: Executor, action: Action, path: str) -> dict[str, Any]:
    data = json.loads((action.data or b"{}").decode("utf-8"))
    base = manifest_base(action.path)
    for entry in data.get("entries", []):
        stored = ex.confine(PathRef(base.root, f"{base.rel}/{entry['path']}"))
        digest = ex.hashes.sha256(stored)
        if entry.get("sha256") and entry["sha256"] != digest:
            raise CopyError(
                errno.EIO,
                f"has SHA-256 {digest}, not the {entry['sha256']} the manifest must record",
                stored,
            )
        st = os.lstat(stored)
        if st.st_size == 0:
            raise CopyError(errno.EINVAL, "is empty; an empty file is never recorded", stored)
        entry.update(size=st.st_size, sha256=digest, mtime_ns=st.st_mtime_ns)
    data["verified_at"] = now_iso_micros()
    payload = dumps(data)
    made = _make_parents(ex, action.path)
    try:
        create_atomic(path, payload)
    except BaseException:
        _remove_dirs(ex, made)
        raise
    return {"sha256": hashlib.sha256(payload).hexdigest(), "dirs": made}


def manifest_base(ref: PathRef) -> PathRef:
    """The base of `<base>/manifests/<kind>/<name>.json`."""
    parts = ref.rel.split("/")
    if len(parts) < 4 or parts[-3] != "manifests":
        raise CopyError(errno.EINVAL, "not <base>/manifests/<kind>/<name>", str(ref))
    return PathRef(ref.root, "/".join(parts[:-3]))


def _release(ex: Executor, action: Action, path: str) -> dict[str, Any]:
    source = ex.confine_source(action.source)
    # The hash recorded when planned, else the one this run's store_copy just verified.
    expected = action.sha256 or ex.hashes.recorded(source)
    if not expected:
        raise CopyError(errno.EINVAL, "no verified SHA-256 to release against", path)
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise CopyError(errno.EINVAL, "is not a regular file; left as it is", path)
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
    if action.target:
        link = f"{path}.ytm-link-{os.getpid()}"
        os.symlink(action.target, link)
        try:
            os.replace(link, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(link)
            raise
    else:
        os.unlink(path)
    fsync_dir(os.path.dirname(path))
    return {"sha256": expected}


def _retire(ex: Executor, action: Action, path: str, inverse: dict[str, Any]) -> dict[str, Any]:
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise CopyError(errno.EINVAL, "is not a regular file; left as it is", path)
    backup = ex.confine(PathRef.from_json(inverse["backup"]))
    os.makedirs(os.path.dirname(backup), exist_ok=True)
    copied = copy_verified(path, backup)
    os.unlink(path)
    fsync_dir(os.path.dirname(path))
    return {"sha256": copied.sha256}


# -- undo --------------------------------------------------------------------------------------


def inverse_problems(ex: Executor, inverse: dict[str, Any], path: str) -> list[str]:
    ref = PathRef.from_json(inverse["path"])
    actual = path_state(path)
    if inverse["op"] == "reinstate":
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
        except Exception as exc:  # Refused: the share went offline
            return [str(exc)]
        if not os.path.isfile(source) or os.path.islink(source):
            return [f"{source_ref}: the stored copy is gone; cannot bring {ref} back"]
    else:  # unretire
        if inverse.get("sha256") is None:
            return [f"{ref}: never retired; nothing to undo"]
        expected = {"kind": "missing"}
        backup = ex.resolve(PathRef.from_json(inverse["backup"]))
        if path_state(backup).get("sha256") != inverse["sha256"]:
            return [f"{ref}: its backup is gone or changed; cannot bring it back"]
    if not state_matches(expected, actual):
        return [
            f"{ref} changed since the fix ({describe_state(actual)}, expected "
            f"{describe_state(expected)}); left in place"
        ]
    return []


def run_inverse(ex: Executor, inverse: dict[str, Any], path: str) -> None:
    if inverse["op"] == "reinstate":
        source = ex.confine(PathRef.from_json(inverse["source"]))
        copy_verified(
            source,
            path,
            expected_sha256=inverse["sha256"],
            replace_link=bool(inverse.get("target")),
        )
    else:
        backup = ex.confine(PathRef.from_json(inverse["backup"]))
        copy_verified(backup, path, expected_sha256=inverse["sha256"])


def remove_dirs_of(ex: Executor, inverse: dict[str, Any]) -> None:
    """After undoing a store: the dirs its op made, where they are empty again."""
    _remove_dirs(ex, inverse.get("dirs") or [])


# -- directories -------------------------------------------------------------------------------


def _make_parents(ex: Executor, ref: PathRef) -> list[dict[str, str]]:
    """Make the missing directories above `ref` (inside its root; a missing outbox root is made
    on first use). Returns them deepest first, for undo."""
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
    made = []
    for rel in reversed(missing):
        os.mkdir(ex.resolve(PathRef(ref.root, rel)))
        made.append(PathRef(ref.root, rel).to_json())
    if made:
        fsync_dir(os.path.dirname(ex.resolve(PathRef.from_json(made[0]))))
    return list(reversed(made))


def _remove_dirs(ex: Executor, dirs: list[dict[str, str]]) -> None:
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
