"""rename(path -> dest): move an entry aside (what fixes do instead of deleting). Undo: move it
back, only while it is unchanged and nothing took its old name."""

from __future__ import annotations

import os
from typing import Any

from ytm_doctor.atomic import fsync_dir
from ytm_doctor.fix.operation import Operation, unchanged
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.fix.state import path_state


class Rename(Operation):
    name = "rename"
    needs = ("dest",)

    def describe(self, action: Action) -> str:
        return f"rename   {action.path} -> {action.dest}"

    def creates(self, action: Action) -> PathRef | None:
        return action.dest

    def inverse(self, action, path, ex) -> dict[str, Any]:
        return {
            "op": "rename",
            "path": action.dest.to_json(),
            "dest": action.path.to_json(),
            "state": path_state(path),
        }

    def do(self, action, path, inverse, ex) -> None:
        dest = ex.confine(action.dest)
        if os.path.lexists(dest):
            raise FileExistsError(dest)
        os.rename(path, dest)
        fsync_dir(os.path.dirname(dest))

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        back = PathRef.from_json(inverse["dest"])
        dest = ex.confine(back)
        if os.path.lexists(dest) and dest not in freed:
            return [f"{back} exists again; not overwritten"]
        return unchanged(PathRef.from_json(inverse["path"]), inverse["state"], path_state(path))

    def undo(self, inverse, path, ex) -> None:
        os.rename(path, ex.confine(PathRef.from_json(inverse["dest"])))

    def describe_inverse(self, inverse: dict[str, Any]) -> str:
        ref, back = PathRef.from_json(inverse["path"]), PathRef.from_json(inverse["dest"])
        return f"rename   {ref} -> {back}"
