"""What a store manifest records, shared by the reader of the tool's own manifests
(store/manifest.py) and of the old scripts' (store/legacy.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ytm_doctor.clock import parse_utc

KINDS = (
    "scripts",
    "episode_asset_pack",
    "remotion_mp4",
    "thumbnails",
    "audio_final",
    "capcut_exports",
    "capcut_draft_packs",
)
MODES = ("shared", "outbox")


@dataclass(frozen=True)
class StoredEntry:
    """One stored file of a manifest."""

    path: str  # relative to the base
    size: int | None
    sha256: str | None
    mtime_ns: int | None  # of the stored copy when it was verified
    source: dict[str, Any]  # {"root", "path", "size", "mtime_ns"} of the local file
    # Read from an old script's manifest: it may record a size or a hash alone, and no mtime.
    legacy: bool = False
    # Old manifests only: a stored copy not modified after this (the manifest's time, with a
    # margin) is the copy the manifest describes, so it needs no hashing on every scan.
    not_after_ns: int | None = None


def epoch(text: str) -> float:
    """Seconds since the epoch of a UTC time as manifests write it; 0.0 when unreadable."""
    moment = parse_utc(text)
    return moment.timestamp() if moment is not None else 0.0
