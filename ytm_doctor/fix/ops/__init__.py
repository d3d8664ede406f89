"""The filesystem operations every fixer plans with: mkdir, write, replace, rename, symlink,
copy, record (the tool's own small records) and discard_temp (abandoned temp files). One module
each; registered as the built-in plugin `fs_ops`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ytm_doctor.plugins.hookspec import hookimpl

if TYPE_CHECKING:
    from ytm_doctor.fix.operation import Operation


@hookimpl
def ytm_doctor_collect_operations() -> list[Operation]:
    # The operations' modules load when asked for (a fix, apply or undo), not with the plugin:
    # every scan registers this plugin and never runs an operation.
    from ytm_doctor.fix.ops.copy import Copy
    from ytm_doctor.fix.ops.discard_temp import DiscardTemp
    from ytm_doctor.fix.ops.mkdir import Mkdir
    from ytm_doctor.fix.ops.record import Record
    from ytm_doctor.fix.ops.rename import Rename
    from ytm_doctor.fix.ops.replace import Replace
    from ytm_doctor.fix.ops.symlink import Symlink
    from ytm_doctor.fix.ops.write import Write

    return [Mkdir(), Write(), Replace(), Rename(), Symlink(), Copy(), Record(), DiscardTemp()]
