"""The mirror's operation, registered as the built-in plugin `mirror_ops`: `rsync` (the Hot ->
Vault mirror; see operation.py).

The operation is imported when operations are asked for (mirror, fix, apply, undo), not when
the plugin is loaded: every scan loads the plugin, and the mirror's machinery (rsync, filters,
the link walk) is a tenth of a small scan's start-up. As fix/ops and store/ops do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ytm_doctor.plugins.hookspec import hookimpl

if TYPE_CHECKING:
    from ytm_doctor.fix.operation import Operation


@hookimpl
def ytm_doctor_collect_operations() -> list[Operation]:
    from ytm_doctor.mirror.operation import Rsync

    return [Rsync()]
