"""The state of a path as preconditions record and compare it (lstat: links never followed).

A plan records the state of every path a fix touches when it is planned; the Executor compares
it again right before the fix runs (terraform's stale-plan check, per path), and undo compares
what a fix left with what is there now.
"""

from __future__ import annotations

import os
import stat
from typing import Any

from ytm_doctor.hashing import sha256_file

HASH_LIMIT = 64 * 1024 * 1024  # files larger than this are compared by size and mtime


def path_state(path: str | os.PathLike) -> dict[str, Any]:
    """What is at `path` now, in the terms preconditions compare (lstat: links not followed)."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return {"kind": "missing"}
    if stat.S_ISLNK(st.st_mode):
        return {"kind": "link", "target": os.readlink(path)}
    if stat.S_ISDIR(st.st_mode):
        try:
            empty = not os.listdir(path)
        except OSError:
            empty = False
        return {"kind": "dir", "empty": empty}
    if stat.S_ISREG(st.st_mode):
        state: dict[str, Any] = {"kind": "file", "size": st.st_size}
        if st.st_size <= HASH_LIMIT:
            state["sha256"] = sha256_file(path)
        else:
            state["mtime_ns"] = st.st_mtime_ns
        return state
    return {"kind": "other"}


def state_matches(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Whether `actual` is still what the plan saw; only recorded keys are compared, and a dir
    recorded as non-empty still matches when files were added to it."""
    if expected.get("kind") != actual.get("kind"):
        return False
    for key, value in expected.items():
        if key == "empty" and value is False:
            continue
        if key in actual and actual[key] != value:
            return False
    return True


def describe_state(state: dict[str, Any]) -> str:
    kind = state.get("kind")
    if kind == "link":
        return f"link -> {state['target']}"
    if kind == "file":
        digest = state.get("sha256")
        size = f" {state['size']} bytes" if "size" in state else ""
        return f"file{size}" + (f" sha256 {digest[:12]}" if digest else "")
    if kind == "dir":
        return "empty dir" if state.get("empty") else "dir"
    return kind or "?"
