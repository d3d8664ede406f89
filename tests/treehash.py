"""What the dry-run and undo tests compare: a whole tree, hashed.

Imported by test modules as `from treehash import snapshot` (tests/ is on sys.path because its
conftest.py lives there).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def snapshot(root: Path, exclude: tuple[str, ...] = (), *, modes: bool = False) -> dict[str, tuple]:
    """Every dir, file (sha256) and link (target) under `root`, hidden ones included, links
    never followed; with `modes`, the permission bits of files and dirs too. `exclude` names
    relative paths whose whole subtree is left out."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if any(rel == e or rel.startswith(e + os.sep) for e in exclude):
                continue
            st = os.lstat(full)
            mode = (stat.S_IMODE(st.st_mode),) if modes else ()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", *mode)
            else:
                with open(full, "rb") as fh:
                    out[rel] = ("file", *mode, hashlib.sha256(fh.read()).hexdigest())
    return out
