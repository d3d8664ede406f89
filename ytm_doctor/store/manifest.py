"""Store manifests: what was put where, with which hash (seed 000 §2, §5; SPEC §6.2).

A manifest is `<base>/manifests/<kind>/<stamp>__<id>.json`, where <base> is the shared base
`<share>/uploads/<namespace>/` or the same layout in the outbox. Every path in it is relative
(entries to the base, sources to a named root), never an absolute path through the share mount
(seed 000 §0). Several manifests may name one stored path (stored again later); the newest one
speaks for it. A manifest the old store scripts wrote is read too, into the same entries
(store/legacy.py), so what they stored is verified and counts as stored.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ytm_doctor.jsonio import JsonInputError, dumps_json, loads_json, read_json
from ytm_doctor.store.legacy import NotLegacy, read_legacy
from ytm_doctor.store.manifest_types import KINDS, MODES, StoredEntry, epoch

# KINDS, MODES and StoredEntry live in manifest_types (the old scripts' reader needs them too)
# and are still imported from here.
__all__ = [
    "KINDS",
    "MANIFESTS_DIR",
    "MAX_MANIFEST_BYTES",
    "MODES",
    "SCHEMA",
    "Manifest",
    "StoredEntry",
    "dumps",
    "latest_by_path",
    "load_manifests",
    "manifest_rel",
    "parse",
    "read_manifest",
    "template",
]

SCHEMA = "ytm.shared_store_manifest.v1"
MANIFESTS_DIR = "manifests"
MAX_MANIFEST_BYTES = 4 << 20
WHAT = "store manifest"  # how a JsonInputError names one
_SHA_RE = re.compile(r"[0-9a-f]{64}")


@dataclass
class Manifest:
    rel: str  # relative to the base: manifests/<kind>/<name>.json
    data: dict[str, Any]
    entries: list[StoredEntry] = field(default_factory=list)
    problem: str | None = None  # why it cannot be used (unreadable, invalid)
    legacy: bool = False  # written by an old store script (store/legacy.py)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or self.rel.split("/")[1])

    @property
    def mode(self) -> str:
        return str(self.data.get("mode", ""))

    @property
    def created_at(self) -> str:
        return str(self.data.get("created_at", ""))

    @property
    def channel(self) -> str | None:
        return _str_or_none(self.data.get("channel"))

    @property
    def video(self) -> str | None:
        return _str_or_none(self.data.get("video"))

    @property
    def order(self) -> tuple[float, str]:
        """Newest last: by creation time (to the microsecond), then name."""
        return (epoch(self.created_at), self.rel.rsplit("/", 1)[-1])


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def manifest_rel(kind: str, stamp: str, ident: str) -> str:
    return f"{MANIFESTS_DIR}/{kind}/{stamp}__{ident}.json"


def template(
    *,
    kind: str,
    ident: str,
    channel: str | None,
    video: str | None,
    mode: str,
    namespace: str,
    host: str,
    created_at: str,
    entries: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A manifest before execution: each entry's size, sha256 and mtime_ns are filled in by the
    Executor from the files it verified (an entry may carry the sha256 it must have)."""
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": kind,
        "id": ident,
        "channel": channel,
        "video": video,
        "mode": mode,
        "namespace": namespace,
        "host": host,
        "created_at": created_at,
    }
    data.update(extra or {})
    data["entries"] = entries
    return data


def dumps(data: dict[str, Any]) -> bytes:
    return (dumps_json(data, indent=2) + "\n").encode("utf-8")


def parse(rel: str, raw: bytes) -> Manifest:
    """A manifest from its bytes; never raises (a bad one carries its `problem`)."""
    try:
        data = loads_json(raw, what=WHAT, source=rel)
    except JsonInputError as exc:
        return Manifest(rel, {}, problem=exc.reason)
    return _from_data(rel, data)


def _from_data(rel: str, data: Any) -> Manifest:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return _from_legacy(rel, data)
    entries = []
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        return Manifest(rel, data, problem="entries is not a list")
    for item in raw_entries:
        entry = _entry(item)
        if entry is None:
            return Manifest(rel, data, problem=f"invalid entry {json.dumps(item)[:80]}")
        entries.append(entry)
    return Manifest(rel, data, entries)


def _from_legacy(rel: str, data: Any) -> Manifest:
    """An old script's manifest, its own fields kept and what the tool reads (kind, channel,
    video, created_at, host, mode) put in the tool's terms; else why it cannot be used."""
    raw = data if isinstance(data, dict) else {}
    try:
        entries, meta = read_legacy(data)
    except NotLegacy as exc:
        return Manifest(rel, raw, problem=str(exc))
    return Manifest(rel, {**raw, **meta}, entries, legacy=True)


def _entry(item: Any) -> StoredEntry | None:
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        return None
    path = item["path"]
    if path.startswith("/") or ".." in path.split("/") or not path:
        return None
    size, digest, mtime = item.get("size"), item.get("sha256"), item.get("mtime_ns")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
        return None
    if digest is not None and not (isinstance(digest, str) and _SHA_RE.fullmatch(digest)):
        return None
    if mtime is not None and (not isinstance(mtime, int) or isinstance(mtime, bool)):
        return None
    source = item.get("source") if isinstance(item.get("source"), dict) else {}
    return StoredEntry(path, size, digest, mtime, source)


def load_manifests(base: str | os.PathLike) -> list[Manifest]:
    """Every manifest under `<base>/manifests/<kind>/`, oldest first: a few directory listings
    and small reads, never a walk."""
    root = Path(base) / MANIFESTS_DIR
    try:
        kinds = sorted(e.name for e in os.scandir(root) if e.is_dir(follow_symlinks=False))
    except OSError:
        return []
    found: list[Manifest] = []
    for kind in kinds:
        try:
            names = sorted(
                e.name
                for e in os.scandir(root / kind)
                if e.name.endswith(".json") and not e.name.startswith(".")
            )
        except OSError:
            continue
        for name in names:
            found.append(read_manifest(base, f"{MANIFESTS_DIR}/{kind}/{name}"))
    return sorted(found, key=lambda m: m.order)


def read_manifest(base: str | os.PathLike, rel: str) -> Manifest:
    try:
        data = read_json(Path(base) / rel, max_bytes=MAX_MANIFEST_BYTES, what=WHAT)
    except JsonInputError as exc:
        return Manifest(rel, {}, problem=exc.reason)
    return _from_data(rel, data)


def latest_by_path(manifests: list[Manifest]) -> dict[str, tuple[Manifest, StoredEntry]]:
    """For each stored path, the newest usable manifest naming it and its entry."""
    latest: dict[str, tuple[Manifest, StoredEntry]] = {}
    for manifest in sorted(manifests, key=lambda m: m.order):
        if manifest.problem:
            continue
        for entry in manifest.entries:
            latest[entry.path] = (manifest, entry)
    return latest
