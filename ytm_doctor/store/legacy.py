"""Manifests the old store scripts wrote, read like the tool's own, so that a running factory can
adopt the tool without storing everything again.

Those scripts recorded "what was put where, with which hash" in many shapes: one `artifact`
object, or a list under `files`, `items`, `entries` or `artifacts`; the stored path as `dest`,
`dest_rel`, `path`...; the hash as `sha256` (sometimes `sha256:<hex>`), the size as `size` or
`size_bytes`; and often an absolute path through the share mount of the host that wrote it. Any
JSON object whose files each carry a path inside the shared base and a SHA-256 or a size is
taken: an absolute path counts from its `/uploads/<namespace>/` part (whichever host's mount it
went through), and a source path from its `workspaces/` part (the scripts' path contract).

What such a manifest does not say, the reader does not invent: a file without a recorded hash
is checked by its size only, and since no mtime was recorded, a stored file is re-hashed only
when it was modified after the manifest's `created_at` (a copy is always older than the
manifest written after it), or on every scan when no time was recorded.
"""

from __future__ import annotations

import re
from typing import Any

from ytm_doctor.store.manifest_types import KINDS, MODES, StoredEntry, epoch

LIST_KEYS = ("entries", "files", "items", "artifacts", "outputs")
ONE_KEYS = ("artifact", "file")
PATH_KEYS = ("dest_rel", "path", "rel_path", "relpath", "shared_rel", "dest", "dst", "shared_path")
SOURCE_KEYS = ("source", "src", "source_path", "local_path")
SHA_KEYS = ("sha256", "sha256_hex", "hash", "digest")
SIZE_KEYS = ("size", "size_bytes", "bytes")
TIME_KEYS = ("created_at", "createdAt", "timestamp", "time")
# created_at is written to the second, after the copy: a copy modified within this margin of
# it is taken as the one the manifest describes.
SLACK_NS = 2_000_000_000

_SHA_RE = re.compile(r"(?:sha256:)?([0-9a-fA-F]{64})")
_EPISODE = re.compile(r"CH[0-9]{2}")
_VIDEO = re.compile(r"[0-9]{3}")


class NotLegacy(ValueError):
    """Not an old store manifest either; the message says why, in a few words."""


def read_legacy(data: Any) -> tuple[list[StoredEntry], dict[str, Any]]:
    """The entries of an old manifest and what it says about itself (kind, channel, video,
    created_at, host, mode), or NotLegacy."""
    if not isinstance(data, dict):
        raise NotLegacy("not a store manifest")
    records = _records(data)
    if not records:
        raise NotLegacy("not a store manifest (no list of stored files)")
    created_at = _first_str(data, TIME_KEYS) or ""
    seconds = epoch(created_at)
    not_after = int(seconds * 1_000_000_000) + SLACK_NS if seconds else None
    entries = [_entry(item, data, not_after) for item in records]
    return entries, _meta(data, entries, created_at)


def _records(data: dict[str, Any]) -> list[Any]:
    for key in LIST_KEYS:
        if isinstance(data.get(key), list):
            return data[key]
    for key in ONE_KEYS:
        if isinstance(data.get(key), dict):
            return [data[key]]
    return []


def _entry(item: Any, data: dict[str, Any], not_after: int | None) -> StoredEntry:
    if not isinstance(item, dict):
        raise NotLegacy(f"a stored file is not an object: {str(item)[:60]}")
    raw = _first_str(item, PATH_KEYS)
    path = _base_relative(raw, data) if raw else None
    if path is None:
        raise NotLegacy(f"names no file inside the shared base ({raw or 'no path'})")
    digest = _sha(item)
    size = next((item[k] for k in SIZE_KEYS if _is_count(item.get(k))), None)
    if digest is None and size is None:
        raise NotLegacy(f"records neither a SHA-256 nor a size for {path}")
    return StoredEntry(path, size, digest, None, _source(item), legacy=True, not_after_ns=not_after)


def _base_relative(raw: str, data: dict[str, Any]) -> str | None:
    """The path relative to uploads/<namespace>/, from a relative path or an absolute one
    through any host's mount; None when it is not inside the base."""
    text = raw.replace("\\", "/")
    namespace = _namespace(data)
    if text.startswith("/") or re.match(r"[A-Za-z]:/", text):
        marker = f"/uploads/{namespace}/" if namespace else "/uploads/"
        _, sep, rest = text.partition(marker)
        if not sep:
            return None
        text = rest if namespace else rest.partition("/")[2]
    elif namespace and text.startswith(f"uploads/{namespace}/"):
        text = text[len(f"uploads/{namespace}/") :]
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _namespace(data: dict[str, Any]) -> str | None:
    shared = data.get("shared") if isinstance(data.get("shared"), dict) else {}
    for value in (shared.get("namespace"), data.get("namespace")):
        if isinstance(value, str) and value and "/" not in value:
            return value
    return None


def _sha(item: dict[str, Any]) -> str | None:
    for key in SHA_KEYS:
        value = item.get(key)
        if isinstance(value, str):
            match = _SHA_RE.fullmatch(value.strip())
            if match is None:
                raise NotLegacy(f"{key} {value[:20]!r} is not a SHA-256")
            return match.group(1).lower()
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _source(item: dict[str, Any]) -> dict[str, Any]:
    """The local file it was stored from, as the tool's manifests name it when the old path
    shows it (its `workspaces/` part); the recorded text is kept either way."""
    for key in SOURCE_KEYS:
        value = item.get(key)
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            return dict(value)
        if isinstance(value, str) and value:
            text = value.replace("\\", "/")
            _, sep, rest = text.rpartition("workspaces/")
            parts = rest.split("/")
            if sep and rest and ".." not in parts and "" not in parts:
                return {"root": "workspace", "path": rest, "recorded": value}
            return {"recorded": value}
    return {}


def _first_str(data: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((data[k] for k in keys if isinstance(data.get(k), str) and data[k]), None)


def _meta(data: dict[str, Any], entries: list[StoredEntry], created_at: str) -> dict[str, Any]:
    """kind, channel and video from the stored paths (<kind>/<CH>/<NNN>/...) when every entry
    agrees, else from the manifest's own fields; host and mode as recorded."""
    firsts = {e.path.split("/")[0] for e in entries}
    declared = next((data[k] for k in ("sync_kind", "kind") if data.get(k) in KINDS), None)
    kind = next(iter(firsts)) if len(firsts) == 1 else declared or "legacy"
    episodes = {tuple(e.path.split("/")[1:3]) for e in entries}
    channel = video = None
    if len(episodes) == 1:
        parts = next(iter(episodes))
        if len(parts) == 2 and _EPISODE.fullmatch(parts[0]) and _VIDEO.fullmatch(parts[1]):
            channel, video = parts
    host = data.get("host")
    if isinstance(host, dict):
        host = host.get("hostname")
    mode = data.get("mode")
    return {
        "kind": kind,
        "channel": channel or _str(data.get("channel")),
        "video": video or _str(data.get("video")),
        "created_at": created_at,
        "host": host if isinstance(host, str) else None,
        "mode": mode if mode in MODES else "shared",
    }


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
