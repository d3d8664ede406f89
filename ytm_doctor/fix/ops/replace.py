"""replace(path, data): overwrite a regular file atomically, its old bytes first copied to the
run's backups. Undo: restore the backup, only while the file still holds what was written."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from typing import Any

from ytm_doctor.atomic import write_at
from ytm_doctor.fix.operation import Operation, Refused, unchanged
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.fix.state import path_state
from ytm_doctor.hashing import sha256_of


class Replace(Operation):
    name = "replace"
    needs = ("data",)

    def describe(self, action: Action) -> str:
        return f"replace  {action.path} ({len(action.data or b'')} bytes)"

    def adds_bytes(self, action, path, ex) -> int:
        # The new bytes, and the old ones kept in the run's backups (on the workspace's volume,
        # counted here as if on this one: a replaced file is a small one).
        try:
            old = os.lstat(path).st_size
        except FileNotFoundError:
            old = 0
        return len(action.data or b"") + old

    def undo_adds_bytes(self, inverse, path, ex) -> int:
        return os.stat(ex.confine(PathRef.from_json(inverse["backup"]))).st_size

    def inverse(self, action, path, ex) -> dict[str, Any]:
        return {
            "op": "restore",
            "path": action.path.to_json(),
            "backup": ex.backup_ref(action.path).to_json(),
            "sha256": hashlib.sha256(action.data or b"").hexdigest(),
        }

    def do(self, action, path, inverse, ex) -> dict[str, Any]:
        with ex.anchor(path) as into:
            name = os.path.basename(path)
            st = into.lstat(name)
            if not stat.S_ISREG(st.st_mode):
                raise Refused(f"{action.path} is not a regular file")
            backup = ex.confine(PathRef.from_json(inverse["backup"]))
            os.makedirs(os.path.dirname(backup), exist_ok=True)
            shutil.copy2(into.join(name), backup)
            # The old bytes are overwritten next: the backup must hold them, read back now.
            original, _ = sha256_of(into.join(name))
            kept, _ = sha256_of(backup)
            if kept != original:
                raise Refused(f"the backup of {action.path} does not read back as the file; kept")
            with open(backup, "rb") as fh:
                os.fsync(fh.fileno())
            write_at(into, name, action.data or b"", stat.S_IMODE(st.st_mode), replace=True)
        return {"original_sha256": original}

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        ref = PathRef.from_json(inverse["path"])
        expected = {"kind": "file", "sha256": inverse["sha256"]}
        problems = unchanged(ref, expected, path_state(path))
        original = inverse.get("original_sha256")
        if problems or original is None:  # journals before the hash was kept: as before
            return problems
        try:
            kept, _ = sha256_of(ex.confine(PathRef.from_json(inverse["backup"])))
        except OSError:
            kept = None
        if kept != original:
            return [f"{ref}: its backup is gone or changed; the current bytes are left"]
        return []

    def undo(self, inverse, path, ex) -> None:
        backup = ex.confine(PathRef.from_json(inverse["backup"]))
        with open(backup, "rb") as fh:
            data = fh.read()
        with ex.anchor(path) as into:
            mode = stat.S_IMODE(os.stat(backup).st_mode)
            write_at(into, os.path.basename(path), data, mode, replace=True)

    def describe_inverse(self, inverse: dict[str, Any]) -> str:
        ref, backup = PathRef.from_json(inverse["path"]), PathRef.from_json(inverse["backup"])
        return f"restore  {ref} from {backup}"
