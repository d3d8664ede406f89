"""Planted for the store checks: YTM701 outbox-pending, YTM702 store-integrity, YTM705
l1-not-stored and YTM707 abandoned-temp-file. Manifests are written with the store's own
manifest module, so they are exactly what `ytm-doctor store` leaves."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import timedelta
from pathlib import Path

from ytm_doctor.demo.files import write_bytes
from ytm_doctor.demo.world import NAMESPACE, DemoBuild, Episode, Family, episode
from ytm_doctor.store import manifest
from ytm_doctor.temps import TEMP_MARK, host_tag

DEAD_PID = 99_999_999  # above every system's pid limit: never a live process


def plant_ytm701(demo: DemoBuild) -> None:
    """outbox-pending: CH02-012's script was stored while uploads/<namespace>/ was missing
    (YTM102), so `ytm-doctor store` wrote it to the main view's outbox, where it still waits:
    the flush itself waits for the shared base."""
    ep = episode("CH02-012")
    when = "2026-01-26T07:30:00Z"
    src_rel = f"scripts/{ep.channel}/{ep.video}/content/assembled_human.md"
    src = demo.workspace / src_rel
    stored = f"scripts/{ep.channel}/{ep.video}/assembled_human.md"
    base = demo.dest / "outbox" / "uploads" / NAMESPACE
    entry = store_copy(src, src_rel, base, stored)
    reason = f"the share is degraded (uploads/{NAMESPACE}/ is missing)"
    rel = write_manifest(
        base, "scripts", ep, when, [entry], mode="outbox", extra={"outbox_reason": reason}
    )
    demo.instances["YTM701"] = (
        f"outbox/uploads/{NAMESPACE}/{rel}: stored while the share was degraded, not flushed"
    )


def plant_ytm702_705(demo: DemoBuild) -> None:
    """store-integrity and l1-not-stored: CH01-001 (published) had its audio stored last week;
    the shared WAV has since been overwritten by a truncated copy (YTM702). The other published
    episodes were never stored at all (YTM705)."""
    ep = episode("CH01-001")
    base = demo.share / "uploads" / NAMESPACE
    when = "2026-01-18T09:00:00Z"
    entries = []
    for ext in ("wav", "srt"):
        src_rel = f"audio/final/{ep.channel}/{ep.video}/{ep.episode_id}.{ext}"
        src = demo.workspace / src_rel
        stored = f"audio_final/{ep.channel}/{ep.video}/{ep.episode_id}.{ext}"
        entries.append(store_copy(src, src_rel, base, stored))
    write_manifest(base, "audio_final", ep, when, entries)
    wav = base / entries[0]["path"]
    wav.write_bytes(wav.read_bytes()[: len(wav.read_bytes()) // 2])  # a copy cut off half-way
    demo.instances["YTM702"] = (
        f"share/uploads/{NAMESPACE}/{entries[0]['path']} no longer matches its manifest "
        "(truncated after it was stored)"
    )
    demo.instances["YTM705"] = (
        f"published CH02-011, CH13-021 (and others) were never stored in share/uploads/{NAMESPACE}/"
    )


def plant_ytm707(demo: DemoBuild) -> None:
    """abandoned-temp-file: a store copy of CH02-012's final audio killed when the share
    dropped two days ago left its partial copy (and 1.5 MB of the share) behind."""
    folder = demo.share / "uploads" / NAMESPACE / "audio_final" / "CH02" / "012"
    name = f".CH02-012.wav{TEMP_MARK}{host_tag()}-{DEAD_PID}-5c0ffe"
    write_bytes(folder / name, b"RIFF" + bytes(1_500_000))
    two_days_ago = (demo.built_at - timedelta(days=2)).timestamp()
    os.utime(folder / name, (two_days_ago, two_days_ago))
    demo.instances["YTM707"] = (
        f"share/uploads/{NAMESPACE}/audio_final/CH02/012/: a killed copy's temp file"
    )


def write_manifest(
    base: Path, kind: str, ep: Episode, when: str, entries: list[dict], **more: object
) -> str:
    """A manifest of `entries` written as `ytm-doctor store` writes one (its own module), made
    and verified at `when` (an ISO time); returns its path relative to `base`."""
    body = manifest.template(
        kind=kind,
        ident=ep.episode_id,
        channel=ep.channel,
        video=ep.video,
        mode=str(more.pop("mode", "shared")),
        namespace=NAMESPACE,
        host="demo-mac",
        created_at=when,
        entries=entries,
        **more,
    )
    stamp = when.replace("-", "").replace(":", "")
    rel = manifest.manifest_rel(kind, stamp, ep.episode_id)
    write_bytes(base / rel, manifest.dumps({**body, "verified_at": when}))
    return rel


def store_copy(src: Path, src_rel: str, base: Path, stored: str) -> dict:
    """Copy `src` to `base/stored` as `ytm-doctor store` would and return its manifest entry."""
    copy = base / stored
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, copy)
    data = copy.read_bytes()
    return {
        "path": stored,
        "source": {
            "root": "workspace",
            "path": src_rel,
            "size": src.stat().st_size,
            "mtime_ns": src.stat().st_mtime_ns,
        },
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "mtime_ns": copy.stat().st_mtime_ns,
    }


FAMILY = Family(
    plugin="store_checks",
    codes=("YTM701", "YTM702", "YTM705", "YTM707"),
    plants=(plant_ytm701, plant_ytm702_705, plant_ytm707),
)
