"""Store checks (SPEC §6.2, seed 000): has the outbox reached the share (YTM701), is every
stored file intact (YTM702), is every published episode's L1 in the store (YTM705), and did a
killed copy or write leave its temp file behind (YTM707)?

They read the manifests of the store and of the outbox (a few directory listings and small
JSON reads under `uploads/<namespace>/manifests/`) and stat the files the manifests name; none
walks a tree. YTM702 hashes a stored file only when its size or mtime differs from what its
manifest recorded, or always with `store.full_verify: true`.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import replace
from typing import Any

from ytm_doctor.facts import ArtifactItem, OutboxFacts, StoredCopyFacts, UnstoredFacts
from ytm_doctor.hashing import sha256_of
from ytm_doctor.model import Check, Finding, Rule, Severity
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.store.layout import (
    Artifact,
    episode_artifacts,
    selected_thumbnails,
    shared_base_problem,
    shared_store_readable,
    store_target,
)
from ytm_doctor.store.manifest import Manifest, StoredEntry, latest_by_path, load_manifests
from ytm_doctor.store.outbox import outbox_manifests
from ytm_doctor.temps import host_tag, is_temp_name, temp_owner
from ytm_doctor.workspace import CHANNEL_RE, VIDEO_RE, Stage

OUTBOX_PENDING = Rule(
    code="YTM701",
    name="outbox-pending",
    severity=Severity.WARNING,
    summary="files stored in the outbox while the share was down are not on the share yet",
    tags=("store", "outbox", "share"),
    fixer="flush-outbox",
    needs_share=True,
)
STORE_INTEGRITY = Rule(
    code="YTM702",
    name="store-integrity",
    severity=Severity.VIOLATION,
    summary="a file the store's manifests record is missing on the share or its SHA-256 differs",
    tags=("store", "integrity", "share"),
    fixer="store",
    needs_share=True,
)
L1_NOT_STORED = Rule(
    code="YTM705",
    name="l1-not-stored",
    severity=Severity.WARNING,
    summary="a published episode's final artifacts (L1) are not in the shared store",
    tags=("store", "published"),
    fixer="store",
    needs_share=True,
)


ABANDONED_TEMP = Rule(
    code="YTM707",
    name="abandoned-temp-file",
    severity=Severity.WARNING,
    summary="a temp file of a killed store copy or write (in the store, the outbox, the report "
    "dir or video/input) that takes space and that no process will finish",
    tags=("store", "share", "space"),
    fixer="remove-abandoned-temps",
    needs_share=True,
)
OTHER_HOST_GRACE_SEC = 6 * 3600  # another host's temp is reported once this old
TEMP_SEARCH_DEPTH = 6  # <kind>/<CH>/<NNN>/<variant>/<file> in the store, and a little more


def _episode(channel: Any, video: Any) -> tuple[str | None, str | None]:
    ch = channel if isinstance(channel, str) and CHANNEL_RE.fullmatch(channel) else None
    vid = video if isinstance(video, str) and VIDEO_RE.fullmatch(video) else None
    return ch, vid if ch else None


# --- YTM701 -----------------------------------------------------------------------------------


class OutboxPending(Check):
    """Reads the outbox's manifests (small targeted reads), not the outbox tree: a derived
    outbox also holds the local fallback copy of the Vault, too big to walk on every scan."""

    rule = OUTBOX_PENDING

    def finish(self, ctx) -> list[Finding]:
        if not ctx.share.online:
            return []  # the outbox is where store writes now; YTM101 says why
        waits = shared_base_problem(ctx)
        prefix = f"uploads/{ctx.paths.namespace}/"
        return [self._pending(ctx, prefix, m, waits) for m in outbox_manifests(ctx)]

    def _pending(self, ctx, prefix: str, m: Manifest, waits: str | None) -> Finding:
        rel = prefix + m.rel
        ch, video = _episode(m.channel, m.video)
        entries = tuple({"path": e.path, "size": e.size, "sha256": e.sha256} for e in m.entries)
        facts = OutboxFacts(m.rel, m.kind, m.created_at, m.data.get("host"), entries)
        unfixable = None
        if m.problem:
            facts = replace(facts, problem=m.problem)
            unfixable = f"the outbox manifest {m.problem}; inspect it by hand"
            message = f"outbox manifest {m.rel} {m.problem}: its files cannot be flushed"
        else:
            n = len(m.entries)
            message = (
                f"{n} {'file' if n == 1 else 'files'} of {m.kind} {m.data.get('id', '?')} "
                f"stored in the outbox at {m.created_at or '?'} {'is' if n == 1 else 'are'} "
                "not on the share yet"
            )
        if waits and not unfixable:
            unfixable = f"{waits}: the flush waits until it is back (see YTM102)"
            facts = replace(facts, waits_for=waits)
        return OUTBOX_PENDING.finding(
            message,
            root="outbox",
            path=rel,
            abs_path=os.path.join(ctx.paths.fallback_root, *rel.split("/")),
            channel=ch,
            video=video,
            details=facts.to_details(),
            unfixable=unfixable,
        )


# --- YTM702 -----------------------------------------------------------------------------------


class StoreIntegrity(Check):
    rule = STORE_INTEGRITY

    def finish(self, ctx) -> list[Finding]:
        if not shared_store_readable(ctx):
            return []  # YTM101/YTM102 own an unreachable store
        base = ctx.paths.shared_base
        manifests = load_manifests(base)
        findings = [self._bad_manifest(ctx, m) for m in manifests if m.problem]
        full = bool(ctx.config["store.full_verify"])
        for path, (m, e) in sorted(latest_by_path(manifests).items()):
            ch, video = _episode(m.channel, m.video)
            if not ctx.scope.includes(ch, video):
                continue  # no hashing for episodes outside --channel/--video
            problem, actual = _verify(os.path.join(base, *path.split("/")), e, full)
            if problem:
                findings.append(self._finding(ctx, m, e, problem, actual, ch, video))
        return findings

    def _bad_manifest(self, ctx, m: Manifest) -> Finding:
        # One warning per manifest, not a violation: nothing stored is known to be damaged,
        # only this record cannot be read (often a file of another tool in manifests/).
        rel = f"uploads/{ctx.paths.namespace}/{m.rel}"
        return STORE_INTEGRITY.finding(
            f"store manifest {m.rel} cannot be read ({m.problem}): what it records cannot be "
            "verified",
            severity=Severity.WARNING,
            root="share",
            path=rel,
            abs_path=os.path.join(ctx.paths.share_root, *rel.split("/")),
            details={"manifest": m.rel, "problem": m.problem},
            unfixable="repair the manifest from its copy in the run's journal or backups, "
            "or store the files again and remove it by hand",
        )

    def _finding(self, ctx, m, e: StoredEntry, problem: str, actual, ch, video) -> Finding:
        rel = f"uploads/{ctx.paths.namespace}/{e.path}"
        what = {
            "missing": "is missing",
            "not-a-file": "is not a regular file",
            "unreadable": "cannot be read",
            "size": f"has {actual.get('size')} bytes, not the recorded {e.size}",
            "sha256": f"has SHA-256 {str(actual.get('sha256'))[:12]}…, not the recorded "
            f"{str(e.sha256)[:12]}…",
            "unrecorded": "has no size or SHA-256 in its manifest",
        }[problem]
        source = e.source or {}
        facts = StoredCopyFacts(
            manifest=m.rel,
            problem=problem,
            kind=m.kind,
            source=source,
            expected_size=e.size,
            expected_sha256=e.sha256,
            actual=actual,
        )
        unfixable = _source_problem(ctx, source, e)
        return STORE_INTEGRITY.finding(
            f"stored {e.path} {what} (manifest {m.rel})",
            root="share",
            path=rel,
            abs_path=os.path.join(ctx.paths.share_root, *rel.split("/")),
            channel=ch,
            video=video,
            details=facts.to_details(),
            unfixable=unfixable,
        )


def _verify(path: str, e: StoredEntry, full: bool) -> tuple[str | None, dict[str, Any]]:
    """(problem or None, what was found). Hashes only when size or mtime moved, or `full`."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing", {}
    except OSError as exc:
        return "unreadable", {"error": exc.strerror or str(exc)}
    if not stat.S_ISREG(st.st_mode):
        return "not-a-file", {}
    actual: dict[str, Any] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    # An old script's manifest may record the size or the hash alone: each is checked.
    if (e.size is None and e.sha256 is None) or (
        not e.legacy and (e.size is None or e.sha256 is None)
    ):
        return "unrecorded", actual
    if e.size is not None and st.st_size != e.size:
        return "size", actual
    if e.sha256 is None:
        return None, actual
    if full or _modified_since(e, st.st_mtime_ns):
        try:
            actual["sha256"], _ = sha256_of(path)
        except OSError as exc:
            return "unreadable", {**actual, "error": exc.strerror or str(exc)}
        if actual["sha256"] != e.sha256:
            return "sha256", actual
    return None, actual


def _modified_since(e: StoredEntry, mtime_ns: int) -> bool:
    """Whether the stored copy may differ from what the manifest verified: its mtime moved
    since, or (old manifests, which recorded no mtime) it is newer than the manifest itself."""
    if e.mtime_ns is not None:
        return mtime_ns != e.mtime_ns
    return e.not_after_ns is None or mtime_ns > e.not_after_ns


def _source_problem(ctx, source: dict[str, Any], e: StoredEntry) -> str | None:
    """Why the local file the entry was stored from cannot restore it (None: it can)."""
    root, rel = source.get("root"), source.get("path")
    roots = ctx.paths.named_roots()
    if root not in roots or not isinstance(rel, str) or not rel:
        return "the manifest names no local source; restore the file from another backup"
    path = os.path.join(roots[root], *rel.split("/"))
    try:
        st = os.lstat(path)
    except OSError:
        return f"its local source {root}:{rel} is gone; restore the file from another backup"
    if stat.S_ISLNK(st.st_mode):
        return (
            f"its local source {root}:{rel} is a symlink (released with --symlink-back): no "
            "intact copy to restore from; use another backup"
        )
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        return f"its local source {root}:{rel} is not a usable file"
    return None


# --- YTM705 -----------------------------------------------------------------------------------


class L1NotStored(Check):
    rule = L1_NOT_STORED

    def finish(self, ctx) -> list[Finding]:
        if not shared_store_readable(ctx):
            return []
        stored = latest_by_path(load_manifests(ctx.paths.shared_base))
        pending = {e.path for m in outbox_manifests(ctx) for e in m.entries}  # YTM701's
        target = store_target(ctx)
        projects = selected_thumbnails(ctx)
        findings = []
        for ep in ctx.workspace.episodes.values():
            if ep.stage != Stage.PUBLISHED or not ctx.scope.includes(ep.channel, ep.video):
                continue
            found = episode_artifacts(
                ctx,
                ep.channel,
                ep.video,
                remotion_run=ctx.workspace.adopted_run(ep),
                projects=projects,
                target=target,
            )
            missing = [
                a
                for a in found.artifacts
                if a.dest not in stored and a.dest not in pending and not _same_bytes(ctx, a)
            ]
            if missing:
                findings.append(self._finding(ctx, ep, missing))
        return findings

    def _finding(self, ctx, ep, missing) -> Finding:
        rel = f"scripts/{ep.channel}/{ep.video}"
        names = ", ".join(a.src.rel.rsplit("/", 1)[-1] for a in missing)
        n = len(missing)
        return L1_NOT_STORED.finding(
            f"{n} final {'artifact' if n == 1 else 'artifacts'} of published {ep.id} "
            f"{'is' if n == 1 else 'are'} not in the shared store: {names}",
            root="workspace",
            path=rel,
            abs_path=os.path.join(ctx.paths.workspace_root, *rel.split("/")),
            channel=ep.channel,
            video=ep.video,
            details=UnstoredFacts(
                artifacts=tuple(ArtifactItem(a.kind, a.src.rel, a.dest, a.run_id) for a in missing),
                store_command=f"ytm-doctor store episode --channel {ep.channel} "
                f"--video {ep.video}"
                + (" --include-remotion" if any(a.kind == "remotion_mp4" for a in missing) else "")
                + " --run",
            ).to_details(),
        )


def _same_bytes(ctx, art: Artifact) -> bool:
    """The artifact's destination already holds its bytes (the old scripts stored it and
    their manifest is gone, or was never written): stored, only unrecorded. The store fixer
    then writes just the manifest. Hashed only when the sizes agree."""
    dest = os.path.join(ctx.paths.shared_base, *art.dest.split("/"))
    src = os.path.join(ctx.paths.named_roots()[art.src.root], *art.src.rel.split("/"))
    try:
        dest_st, src_st = os.lstat(dest), os.lstat(src)
        if not (stat.S_ISREG(dest_st.st_mode) and dest_st.st_size == src_st.st_size):
            return False
        return sha256_of(dest)[0] == sha256_of(src)[0]
    except OSError:
        return False


# --- YTM707 -----------------------------------------------------------------------------------


def _temp_files(top: str, depth: int):
    """The tool's temp files under `top`, by name only (d_type, no stat), `depth` levels."""
    try:
        with os.scandir(top) as it:
            entries = list(it)
    except OSError:
        return
    for entry in entries:
        if is_temp_name(entry.name):
            yield entry.path
        elif depth > 1 and entry.is_dir(follow_symlinks=False):
            yield from _temp_files(entry.path, depth - 1)


class AbandonedTemp(Check):
    """The places the tool's copies and writes land: the shared store and the outbox (a bounded
    listing of their layout), the report dir, and video/input two levels down."""

    rule = ABANDONED_TEMP

    def finish(self, ctx) -> list[Finding]:
        paths = ctx.paths
        places: list[tuple[str, str, int]] = [
            ("workspace", os.fspath(paths.report_dir), 1),
            ("workspace", os.path.join(paths.workspace_root, "video", "input"), 3),
            ("outbox", os.fspath(paths.fallback_root), TEMP_SEARCH_DEPTH + 1),
        ]
        if shared_store_readable(ctx):
            places.append(("share", os.fspath(paths.shared_base), TEMP_SEARCH_DEPTH))
        roots = {k: os.fspath(v) for k, v in paths.named_roots().items()}
        findings = []
        for root, top, depth in places:
            for path in sorted(_temp_files(top, depth)):
                finding = self._finding(path, root, roots[root])
                if finding is not None:
                    findings.append(finding)
        return findings

    def _finding(self, path: str, root: str, root_dir: str) -> Finding | None:
        owner = temp_owner(os.path.basename(path))
        try:
            st = os.lstat(path)
        except OSError:
            return None  # finished (renamed) or cleaned up meanwhile
        size = st.st_size
        gone = owner is not None and owner.gone()
        if not gone and owner is not None and owner.host == host_tag():
            return None  # a live process of this host is writing it now
        if not gone and time.time() - st.st_mtime < OTHER_HOST_GRACE_SEC:
            return None  # another host's copy may be running; only an old one is reported
        who = owner.describe() if owner else "an unknown process"
        state = "which is gone" if gone else "which may still be running (or is on another host)"
        return ABANDONED_TEMP.finding(
            f"{os.path.basename(path)} ({size / (1 << 20):.1f} MiB) was left by {who}, {state}",
            root=root,
            path=os.path.relpath(path, root_dir).replace(os.sep, "/"),
            abs_path=path,
            details={
                "bytes": size,
                "host": owner.host if owner else None,
                "pid": owner.pid if owner else None,
                "owner_gone": gone,
            },
            unfixable=None if gone else f"its process ({who}) may still be writing it",
        )


@hookimpl
def ytm_doctor_collect_checks():
    return [OutboxPending(), StoreIntegrity(), L1NotStored(), AbandonedTemp()]
