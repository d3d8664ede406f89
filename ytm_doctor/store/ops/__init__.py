"""The store's operations, registered as the built-in plugin `store_ops`:

store_copy(source -> path[, sha256])    a verified copy; missing parent dirs are made.
                                        Undo: remove it (by full hash).
store_manifest(path, data)              a manifest whose entries are filled in from the
                                        files as verified now. Undo: remove it.
release(path, source, sha256[, target]) delete the local file, or replace it with a link to
                                        `target`, only after `source` (the stored copy) is
                                        re-read and has `sha256`, as has the local file.
                                        Undo: reinstate (copy the stored bytes back).
retire(path)                            move a small file into the run's backups (an outbox
                                        manifest once its items are on the share).
                                        Undo: unretire.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ytm_doctor.plugins.hookspec import hookimpl

if TYPE_CHECKING:
    from ytm_doctor.fix.operation import Operation


@hookimpl
def ytm_doctor_collect_operations() -> list[Operation]:
    # Loaded when asked for (store, fix, apply, undo), not with the plugin: see fix/ops.
    from ytm_doctor.store.ops.release import Release
    from ytm_doctor.store.ops.retire import Retire
    from ytm_doctor.store.ops.store_copy import StoreCopy
    from ytm_doctor.store.ops.store_manifest import StoreManifest

    return [StoreCopy(), StoreManifest(), Release(), Retire()]
