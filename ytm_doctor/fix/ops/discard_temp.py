"""discard_temp(path): remove a temp file the tool's own copy or write left behind when its
process died. Checked again when it runs, whatever the plan says: the name must be one of the
tool's temp names (ytm_doctor.temps), written on this host by a process that is not alive, and
a regular file. It cannot be undone: a partial copy nobody refers to is not kept (keeping it
would take the very space this frees), so the fix runs only when selected by name."""

from __future__ import annotations

import errno
import os
import stat
from typing import Any

from ytm_doctor.fix.operation import Operation, Refused
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.hashing import CopyError
from ytm_doctor.temps import temp_owner

WHY = (
    "an abandoned temp file (a partial copy or write of a process that died) is removed, not "
    "kept: nothing refers to it, and its source is where it was being copied from"
)


class DiscardTemp(Operation):
    name = "discard_temp"
    irreversible = WHY

    def describe(self, action: Action) -> str:
        return f"discard  {action.path} (abandoned temp file)"

    def inverse(self, action, path, ex) -> dict[str, Any]:
        return {"op": "irreversible", "path": action.path.to_json(), "why": WHY}

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        return [str(inverse.get("why") or WHY)]

    def do(self, action, path, inverse, ex) -> None:
        name = os.path.basename(path)
        owner = temp_owner(name)
        if owner is None:
            raise Refused(f"{action.path} is not one of the tool's temp files; left")
        if not owner.gone():
            raise Refused(f"{action.path}: its process ({owner.describe()}) may be alive; left")
        with ex.anchor(path) as into:
            st = into.lstat(name)
            if not stat.S_ISREG(st.st_mode):
                raise CopyError(errno.EINVAL, "is not a regular file; left", path)
            into.verify()
            into.unlink(name)
            into.fsync()

    def describe_inverse(self, inverse: dict[str, Any]) -> str:
        return f"(none)   {PathRef.from_json(inverse['path'])}: removed for good"
