"""symlink(path -> target): create a link. Undo: unlink it, only while it still points there."""

from __future__ import annotations

import os
from typing import Any

from ytm_doctor.anchor import made_here
from ytm_doctor.fix.operation import Operation, unchanged
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.fix.state import path_state


class Symlink(Operation):
    name = "symlink"
    needs = ("target",)

    def describe(self, action: Action) -> str:
        return f"symlink  {action.path} -> {action.target}"

    def creates(self, action: Action) -> PathRef | None:
        return action.path

    def inverse(self, action, path, ex) -> dict[str, Any]:
        return {"op": "unlink", "path": action.path.to_json(), "target": action.target}

    def do(self, action, path, inverse, ex) -> None:
        with ex.anchor(path) as into:
            made_here(into, os.path.basename(path), lambda name: into.symlink(action.target, name))

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        expected = {"kind": "link", "target": inverse["target"]}
        return unchanged(PathRef.from_json(inverse["path"]), expected, path_state(path))

    def undo(self, inverse, path, ex) -> None:
        os.unlink(path)
