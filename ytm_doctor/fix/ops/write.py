"""write(path, data): create a file that did not exist, atomically. Undo: remove it, only while
its bytes are still the ones written."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from ytm_doctor.atomic import write_at
from ytm_doctor.fix.operation import Operation, unchanged
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.fix.state import path_state


class Write(Operation):
    name = "write"
    needs = ("data",)

    def describe(self, action: Action) -> str:
        return f"write    {action.path} ({len(action.data or b'')} bytes)"

    def creates(self, action: Action) -> PathRef | None:
        return action.path

    def adds_bytes(self, action, path, ex) -> int:
        return len(action.data or b"")

    def inverse(self, action, path, ex) -> dict[str, Any]:
        digest = hashlib.sha256(action.data or b"").hexdigest()
        return {"op": "remove", "path": action.path.to_json(), "sha256": digest}

    def do(self, action, path, inverse, ex) -> None:
        # Written and named inside the directory confined now (refused if it is swapped).
        with ex.anchor(path) as into:
            write_at(into, os.path.basename(path), action.data or b"")

    def inverse_problems(self, inverse, path, ex, freed) -> list[str]:
        expected = {"kind": "file", "sha256": inverse["sha256"]}
        return unchanged(PathRef.from_json(inverse["path"]), expected, path_state(path))

    def undo(self, inverse, path, ex) -> None:
        os.unlink(path)  # content identical to what the fix wrote (checked just before)
