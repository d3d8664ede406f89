"""store_manifest(path, data): write a store manifest whose entries are filled in from the
stored files as they are verified now (size, SHA-256, mtime), never from the plan."""

from __future__ import annotations

import errno
import hashlib
import os
from typing import Any

from ytm_doctor.atomic import write_at
from ytm_doctor.clock import now_iso_micros
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.hashing import CopyError
from ytm_doctor.jsonio import expect_object, loads_json
from ytm_doctor.store.manifest import dumps
from ytm_doctor.store.ops.stored_file import StoredFile, make_parents, remove_dirs


class StoreManifest(StoredFile):
    name = "store_manifest"
    needs = ("data",)

    def describe(self, action: Action) -> str:
        return f"manifest {action.path}"

    def adds_bytes(self, action, path, ex) -> int:
        return len(action.data or b"")  # filled in with sizes and hashes: about this much

    def do(self, action, path, inverse, ex) -> dict[str, Any]:
        # From the plan file: a hand-edited one may carry anything (a JsonInputError fails the fix).
        raw = loads_json(action.data or b"{}", what="manifest data", source=str(action.path))
        data = expect_object(raw, what="manifest data", source=str(action.path))
        base = manifest_base(action.path)
        for entry in data.get("entries", []):
            stored = ex.confine(PathRef(base.root, f"{base.rel}/{entry['path']}"))
            digest = ex.hashes.sha256(stored)
            if entry.get("sha256") and entry["sha256"] != digest:
                raise CopyError(
                    errno.EIO,
                    f"has SHA-256 {digest}, not the {entry['sha256']} the manifest must record",
                    stored,
                )
            st = os.lstat(stored)
            if st.st_size == 0:
                raise CopyError(errno.EINVAL, "is empty; an empty file is never recorded", stored)
            entry.update(size=st.st_size, sha256=digest, mtime_ns=st.st_mtime_ns)
        data["verified_at"] = now_iso_micros()
        payload = dumps(data)
        made = make_parents(ex, action.path)
        try:
            with ex.anchor(path) as into:
                write_at(into, os.path.basename(path), payload)
        except BaseException:
            remove_dirs(ex, made)
            raise
        return {"sha256": hashlib.sha256(payload).hexdigest(), "dirs": made}


def manifest_base(ref: PathRef) -> PathRef:
    """The base of `<base>/manifests/<kind>/<name>.json`."""
    parts = ref.rel.split("/")
    if len(parts) < 4 or parts[-3] != "manifests":
        raise CopyError(errno.EINVAL, "not <base>/manifests/<kind>/<name>", str(ref))
    return PathRef(ref.root, "/".join(parts[:-3]))
