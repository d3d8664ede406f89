"""record(path, data): a small record of the tool's own (a stand-in's marker) written under the
report dir, making its folder on first use. Undo: remove it while its bytes are the ones
written, and the folder when that leaves it empty."""

from __future__ import annotations

import contextlib
import os

from ytm_doctor.atomic import create_atomic
from ytm_doctor.fix.ops.write import Write
from ytm_doctor.fix.plan import Action


class Record(Write):
    name = "record"

    def describe(self, action: Action) -> str:
        return f"record   {action.path} ({action.note or 'a record of the tool'})"

    def do(self, action, path, inverse, ex) -> None:
        # Several fixes of one run may each add a record: the folder is made by whichever runs
        # first, not planned as a mkdir (two fixes planning one mkdir would clash).
        os.makedirs(os.path.dirname(path), exist_ok=True)
        create_atomic(path, action.data or b"")

    def undo(self, inverse, path, ex) -> None:
        super().undo(inverse, path, ex)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(path))  # only when empty
