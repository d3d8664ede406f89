"""What `ytm-doctor reclaim` can free on this host, episode by episode. Read-only.

Only published episodes (a published planning status, or publish_lock) are looked at. Each
local file is judged once:

- `release`: a kind `store.delete_allowed` lists (final audio, CapCut draft packs), or a
  CapCut export past `reclaim.exports_retention_hours`, whose copy in the shared store on the
  share is recorded with the local file's size and hash. The release operation re-reads that
  copy and checks its SHA-256 when it runs; nothing here is proof, only a plan.
- `store-first`: no stored copy, or one that no longer matches: kept; the line says which
  `ytm-doctor store` to run.
- `retained`: a stored CapCut export still within its retention.
- `archive-only`: a run (`video/runs`), never deleted; `ytm-doctor archive runs` moves it.
- `kept`: the episode's thumbnails (archive-only), or anything while the store is unreadable.

The stored copies are found through the store's manifests (the newest one naming a stored
path speaks for it): by the path the store gives the file, else by the local path a manifest
recorded as its source (draft packs live wherever they were made).
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import iso_seconds
from ytm_doctor.fix.plan import PathRef
from ytm_doctor.hashing import sha256_of
from ytm_doctor.store.layout import AUDIO_SUFFIXES, base_rel, shared_store_readable
from ytm_doctor.store.manifest import StoredEntry, latest_by_path, load_manifests
from ytm_doctor.store.policy import (
    delete_allowed,
    export_kept_until,
    is_capcut_export,
    posted_at,
)
from ytm_doctor.workspace import Stage

if TYPE_CHECKING:
    from ytm_doctor.context import Context, Scope
    from ytm_doctor.workspace import Episode

RELEASE = "release"
STORE_FIRST = "store-first"
RETAINED = "retained"
ARCHIVE_ONLY = "archive-only"
KEPT = "kept"
VERDICTS = (RELEASE, STORE_FIRST, RETAINED, ARCHIVE_ONLY, KEPT)


@dataclass(frozen=True)
class Item:
    """One local file or directory of a published episode and what reclaim does with it."""

    kind: str  # audio_final, capcut_draft_packs, capcut_exports, run, thumbnails
    ref: PathRef
    verdict: str
    size: int = 0  # bytes it takes locally (runs and thumbnails are not measured)
    note: str = ""  # why, or what to run
    stored: PathRef | None = None  # the stored copy a release is verified against
    sha256: str | None = None  # what the stored copy and the local file must both hash to

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "root": self.ref.root,
            "path": self.ref.rel,
            "verdict": self.verdict,
            "bytes": self.size,
            "note": self.note,
            "stored": self.stored.to_json() if self.stored else None,
        }


@dataclass
class EpisodeSpace:
    channel: str
    video: str
    posted_at: float | None
    items: list[Item] = field(default_factory=list)

    @property
    def episode(self) -> str:
        return f"{self.channel}-{self.video}"

    @property
    def reclaimable(self) -> int:
        return sum(i.size for i in self.items if i.verdict == RELEASE)

    def to_json(self) -> dict[str, Any]:
        posted = None
        if self.posted_at is not None:
            posted = iso_seconds(datetime.fromtimestamp(self.posted_at, timezone.utc))
        return {
            "episode": self.episode,
            "channel": self.channel,
            "video": self.video,
            "posted_at": posted,
            "reclaimable_bytes": self.reclaimable,
            "items": [i.to_json() for i in self.items],
        }


class StoreIndex:
    """The shared store's newest record of each stored path, and of each recorded source."""

    def __init__(self, ctx: Context) -> None:
        self.base = base_rel(ctx)
        self.abs_base = ctx.paths.shared_base
        latest = latest_by_path(load_manifests(self.abs_base))
        self.by_dest = {path: entry for path, (_, entry) in latest.items()}
        self.by_source: dict[tuple[str, str], StoredEntry] = {}
        for _manifest, entry in sorted(latest.values(), key=lambda pair: pair[0].order):
            root, rel = entry.source.get("root"), entry.source.get("path")
            if isinstance(root, str) and isinstance(rel, str):
                self.by_source[(root, rel)] = entry

    def find(self, dest: str | None, ref: PathRef) -> StoredEntry | None:
        return (self.by_dest.get(dest) if dest else None) or self.by_source.get((ref.root, ref.rel))

    def ref(self, entry: StoredEntry) -> PathRef:
        return PathRef("share", f"{self.base}/{entry.path}")


def survey(
    ctx: Context, scope: Scope | None = None, *, now: float, hash_local: bool = False
) -> list[EpisodeSpace]:
    """Every published episode in `scope`, with what reclaim would do with each of its files.
    `hash_local`: a local file whose size or time differs from what the store recorded is
    hashed to tell (the command does; a scan judges by size and time only)."""
    store = StoreIndex(ctx) if shared_store_readable(ctx) else None
    spaces = []
    for ep in ctx.workspace.episodes.values():
        if ep.stage != Stage.PUBLISHED:
            continue
        if scope is not None and not scope.includes(ep.channel, ep.video):
            continue
        space = EpisodeSpace(ep.channel, ep.video, posted_at(ctx, ep))
        judge = _Judge(ctx, ep, store, now, hash_local)
        space.items = judge.items()
        spaces.append(space)
    return spaces


class _Judge:
    """The items of one episode."""

    def __init__(
        self, ctx: Context, ep: Episode, store: StoreIndex | None, now: float, hash_local: bool
    ) -> None:
        self.ctx = ctx
        self.ep = ep
        self.store = store
        self.now = now
        self.hash_local = hash_local
        self.ws = os.fspath(ctx.paths.workspace_root)

    def items(self) -> list[Item]:
        items = [*self._audio(), *self._recorded()]
        for run_id in self.ctx.workspace.runs_for(self.ep):
            items += self._exports(run_id)
            note = (
                "archive-only, never deleted: "
                f"ytm-doctor archive runs --channel {self.ep.channel} --video {self.ep.video}"
            )
            items.append(
                Item("run", PathRef("workspace", f"video/runs/{run_id}"), ARCHIVE_ONLY, 0, note)
            )
        thumbs = f"thumbnails/assets/{self.ep.channel}/{self.ep.video}"
        if os.path.isdir(os.path.join(self.ws, thumbs)):
            items.append(
                Item("thumbnails", PathRef("workspace", thumbs), KEPT, 0, "archive-only: kept")
            )
        return items

    def _audio(self) -> list[Item]:
        folder = f"audio/final/{self.ep.channel}/{self.ep.video}"
        try:
            names = sorted(os.listdir(os.path.join(self.ws, folder)))
        except OSError:
            return []
        dest = f"audio_final/{self.ep.channel}/{self.ep.video}"
        return [
            item
            for name in names
            if not name.startswith(".")
            and (item := self._file("audio_final", f"{folder}/{name}", f"{dest}/{name}"))
        ]

    def _recorded(self) -> list[Item]:
        """Other delete-allowed files the store recorded for this episode (draft packs)."""
        if self.store is None:
            return []
        prefix = f"{self.ep.channel}/{self.ep.video}/"
        items = []
        for (root, rel), entry in sorted(self.store.by_source.items()):
            kind = entry.path.split("/", 1)[0]
            ref = PathRef(root, rel)
            if root != "workspace" or rel.startswith("audio/final/"):
                continue  # final audio is listed from its folder, with what was never stored
            if not entry.path.startswith(f"{kind}/{prefix}") or not delete_allowed(
                self.ctx.config, ref
            ):
                continue
            item = self._file(kind, rel, entry.path)
            if item is not None:
                items.append(item)
        return items

    def _exports(self, run_id: str) -> list[Item]:
        run = f"video/runs/{run_id}"
        found = []
        for dirpath, dirnames, filenames in os.walk(os.path.join(self.ws, run)):
            dirnames[:] = [d for d in dirnames if d not in ("remotion", "images")]
            for name in sorted(filenames):
                rel = os.path.relpath(os.path.join(dirpath, name), self.ws).replace(os.sep, "/")
                if is_capcut_export(PathRef("workspace", rel)):
                    dest = f"capcut_exports/{self.ep.channel}/{self.ep.video}/{run_id}.mp4"
                    found.append(self._file("capcut_exports", rel, dest))
        return [item for item in found if item is not None]

    def _file(self, kind: str, rel: str, dest: str | None) -> Item | None:
        """The verdict on one local file; None for what is not a file to judge (a link
        already released to its stored copy, a folder)."""
        ref = PathRef("workspace", rel)
        try:
            st = os.lstat(os.path.join(self.ws, rel))
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        if st.st_size == 0:
            return Item(kind, ref, KEPT, 0, "empty: never stored, nothing to free")
        if self.store is None:
            why = f"the shared store cannot be read now (the share is {self.ctx.share.status})"
            return Item(kind, ref, KEPT, st.st_size, f"{why}: nothing is released without it")
        entry = self.store.find(dest, ref)
        problem = self._copy_problem(ref, st, entry)
        if problem is not None:
            return Item(
                kind, ref, STORE_FIRST, st.st_size, f"{problem}: {self._store_hint(kind, rel)}"
            )
        assert entry is not None
        stored = self.store.ref(entry)
        if kind == "capcut_exports":
            until = export_kept_until(self.ctx, self.ep, ref)
            if until is None or self.now < until:
                when = (
                    "until its posting time can be read"
                    if until is None
                    else ("until " + iso_seconds(datetime.fromtimestamp(until, timezone.utc)))
                )
                return Item(kind, ref, RETAINED, st.st_size, f"stored; kept {when}", stored)
        note = f"once {stored} re-verifies (sha256 {entry.sha256[:12] if entry.sha256 else '?'})"
        return Item(kind, ref, RELEASE, st.st_size, note, stored, entry.sha256)

    def _copy_problem(
        self, ref: PathRef, st: os.stat_result, entry: StoredEntry | None
    ) -> str | None:
        """Why the store holds no copy this file may be released against (None: it does)."""
        if entry is None or entry.sha256 is None:
            return "not in the shared store"
        try:
            stored = os.lstat(self.store.abs_base / entry.path)  # type: ignore[union-attr]
        except OSError:
            stored = None
        if stored is None or not stat.S_ISREG(stored.st_mode) or stored.st_size != entry.size:
            return "its stored copy is missing or damaged (YTM702)"
        if st.st_size != entry.size:
            return "changed since it was stored"
        source = entry.source
        recorded = (
            source.get("root") == ref.root
            and source.get("path") == ref.rel
            and source.get("mtime_ns") == st.st_mtime_ns
        )
        if recorded:
            return None
        if not self.hash_local:
            return "changed since it was stored (its time differs from the store's record)"
        try:
            digest, _ = sha256_of(os.path.join(self.ws, ref.rel))
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        return None if digest == entry.sha256 else "changed since it was stored"

    def _store_hint(self, kind: str, rel: str) -> str:
        if kind == "audio_final" and rel.lower().endswith(AUDIO_SUFFIXES):
            what = f"episode --channel {self.ep.channel} --video {self.ep.video}"
        else:
            what = f"--src {shlex.quote(os.path.join(self.ws, rel))}"
        return f"store it first: ytm-doctor store {what} --run"
