"""store_copy(source -> path[, sha256]): copy one artifact into the store, verified (copied,
hashed and re-read in one pass, fsynced, then given its name)."""

from __future__ import annotations

import os
from typing import Any

from ytm_doctor.fix.plan import Action
from ytm_doctor.hashing import FileSig
from ytm_doctor.store.copy import copy_verified
from ytm_doctor.store.ops.stored_file import StoredFile, make_parents, remove_dirs


class StoreCopy(StoredFile):
    name = "store_copy"
    needs = ("source",)

    def describe(self, action: Action) -> str:
        digest = f" (sha256 {action.sha256[:12]})" if action.sha256 else ""
        return f"store    {action.source} -> {action.path}{digest}, verified"

    def adds_bytes(self, action, path, ex) -> int:
        return os.stat(ex.confine_source(action.source)).st_size

    def do(self, action, path, inverse, ex) -> dict[str, Any]:
        source = ex.confine_source(action.source)
        made = make_parents(ex, action.path)
        try:
            # The store's directory, held open and confined again now that it exists: a copy
            # takes long, and the directory swapped for a link meanwhile refuses it.
            with ex.anchor(path) as into:
                copied = copy_verified(source, path, into=into, expected_sha256=action.sha256)
        except BaseException:
            remove_dirs(ex, made)
            raise
        ex.hashes.remember(source, copied.source, copied.sha256)
        ex.hashes.remember(path, FileSig.of(os.lstat(path)), copied.sha256)
        return {"sha256": copied.sha256, "size": copied.size, "dirs": made}
