"""retire(path): move a small file (an outbox manifest whose items reached the share) into the
run's backups, copied and verified before it is unlinked. Undo: copy it back from there."""

from __future__ import annotations

import errno
import os
import stat
from typing import Any

from ytm_doctor.fix.operation import Operation, unchanged
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.fix.state import path_state
from ytm_doctor.hashing import CopyError
from ytm_doctor.store.copy import copy_verified


class Retire(Operation):
    name = "retire"
    restores = True
    # adds_bytes stays 0: a manifest of a few KB moves from the outbox into the run's backups,
    # in a flush that frees the outbox; a flush must still run on a full disk.

    def describe(self, action: Action) -> str:
        return f"retire   {action.path} (kept in this run's backups)"

    def inverse(self, action, path, ex) -> dict[str, Any]:
        backup = ex.backup_ref(action.path)
        return {
            "op": "unretire",
            "path": action.path.to_json(),
            "backup": backup.to_json(),
            "sha256": None,
        }

    def do(self, action, path, inverse, ex) -> dict[str, Any]:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            raise CopyError(errno.EINVAL, "is not a regular file; left as it is", path)
        backup = ex.confine(PathRef.from_json(inverse["backup"]))
        os.makedirs(os.path.dirname(backup), exist_ok=True)
        with ex.anchor(backup) as into:
            copied = copy_verified(path, backup, into=into)
        with ex.anchor(path) as local:
            local.remove(os.path.basename(path))
            local.fsync()
        return {"sha256": copied.sha256}

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        ref = PathRef.from_json(inverse["path"])
        if inverse.get("sha256") is None:
            return [f"{ref}: never retired; nothing to undo"]
        backup = ex.resolve(PathRef.from_json(inverse["backup"]))
        if path_state(backup).get("sha256") != inverse["sha256"]:
            return [f"{ref}: its backup is gone or changed; cannot bring it back"]
        return unchanged(ref, {"kind": "missing"}, path_state(path))

    def undo(self, inverse, path, ex) -> None:
        backup = ex.confine(PathRef.from_json(inverse["backup"]))
        with ex.anchor(path) as into:
            copy_verified(backup, path, into=into, expected_sha256=inverse["sha256"])
