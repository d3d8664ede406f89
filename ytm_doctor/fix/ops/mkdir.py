"""mkdir(path): create one directory. Undo: rmdir, only while it is empty (or emptied by the
inverses before it in the same undo)."""

from __future__ import annotations

import os
from typing import Any

from ytm_doctor.anchor import made_here
from ytm_doctor.fix.operation import Operation, unchanged
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.fix.state import path_state


class Mkdir(Operation):
    name = "mkdir"

    def creates(self, action: Action) -> PathRef | None:
        return action.path

    def inverse(self, action, path, ex) -> dict[str, Any]:
        return {"op": "rmdir", "path": action.path.to_json()}

    def do(self, action, path, inverse, ex) -> None:
        with ex.anchor(path) as into:
            made_here(into, os.path.basename(path), into.mkdir)

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        ref = PathRef.from_json(inverse["path"])
        actual = path_state(path)
        if actual.get("kind") == "dir" and not actual.get("empty"):
            # Empty once the inverses before this one have run, or changed since the fix.
            try:
                left = [c for c in os.listdir(path) if os.path.join(path, c) not in freed]
            except OSError:
                left = ["?"]
            if left:
                return [f"{ref} is no longer empty; left in place"]
            return []
        return unchanged(ref, {"kind": "dir"}, actual)

    def undo(self, inverse, path, ex) -> None:
        os.rmdir(path)
