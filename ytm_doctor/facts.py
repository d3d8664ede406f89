"""What a check tells the fixer of its rule, declared once.

A fixer plans from a finding's details, and a finding may come from somewhere other than this
version's check: a third-party check naming a built-in fixer, or an older report. So each
details dict a built-in fixer reads is a frozen dataclass here. The check builds the details
with `to_details()` (the keys reports have always carried); the fixer reads them back with
`from_finding()`, which checks every key the fixer relies on in one place and raises
NotFixable naming what is missing or wrong. The fix engine turns NotFixable into an
"unfixable: <reason>" entry of the plan, never a traceback.

Keys a fixer reads are required and type-checked. Keys only people read in the report are
taken as found (a wrong type becomes None), so an odd report-only value never blocks a fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.plan import PathRef
from ytm_doctor.model import Finding

_STR = (str,)
_OPT_STR = (str, type(None))
_NUMBER = (int, float)


class NotFixable(Exception):
    """A finding lacks what its fixer needs, so the fixer cannot plan for it. Raise it from a
    fixer (or let `from_finding` raise it): the engine records the finding as unfixable with
    `reason` and plans the others."""

    def __init__(self, reason: str, finding: Finding | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.finding = finding


def where(finding: Finding) -> str:
    return f"the {finding.rule} finding at {finding.root}:{finding.path}"


def path_ref(root: Any, rel: Any, finding: Finding, what: str) -> PathRef:
    """`root:rel` as a PathRef, or NotFixable when it is not a plain relative path (a finding
    can never make a fix reach outside the roots)."""
    if not isinstance(root, str) or not isinstance(rel, str):
        raise NotFixable(f"{where(finding)} has no usable {what}", finding)
    try:
        return PathRef(root, rel)
    except UsageError:
        raise NotFixable(
            f"{where(finding)} names {what} {root}:{rel!r}, not a plain relative path", finding
        ) from None


def finding_ref(finding: Finding) -> PathRef:
    """Where the finding is, as a PathRef (what most fixers act on)."""
    return path_ref(finding.root, finding.path, finding, "its path")


def _details(finding: Finding) -> dict[str, Any]:
    return finding.details if isinstance(finding.details, dict) else {}


def _need(finding: Finding, key: str, kinds: tuple[type, ...]) -> Any:
    """A key the fixer relies on: present and of one of `kinds`, or NotFixable."""
    details = _details(finding)
    if key not in details:
        raise NotFixable(f"{where(finding)} lacks {key}", finding)
    value = details[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise NotFixable(
            f"{where(finding)} has {key} of type {type(value).__name__}, not {names}", finding
        )
    return value


def _opt(finding: Finding, key: str, kinds: tuple[type, ...], default: Any = None) -> Any:
    """A key only the report shows: as found when of one of `kinds`, else `default`."""
    value = _details(finding).get(key, default)
    return value if isinstance(value, kinds) else default


def _strings(finding: Finding, key: str) -> tuple[str, ...]:
    values = _need(finding, key, (list, tuple))
    if not all(isinstance(v, str) for v in values):
        raise NotFixable(f"{where(finding)} has {key} that are not all strings", finding)
    return tuple(values)


# --- YTM202 -> relativize-symlink ------------------------------------------------------------


@dataclass(frozen=True)
class SymlinkFacts:
    """An absolute link in the Vault and its portable form (relative_target: None when the
    target is not on the share)."""

    target: str
    share_relative: str | None
    relative_target: str | None
    resolves: bool  # whether the relative link would resolve from the link's directory

    def to_details(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "share_relative": self.share_relative,
            "relative_target": self.relative_target,
            "resolves": self.resolves,
        }

    @classmethod
    def from_finding(cls, finding: Finding) -> SymlinkFacts:
        return cls(
            target=_opt(finding, "target", _STR, ""),
            share_relative=_opt(finding, "share_relative", _STR),
            relative_target=_need(finding, "relative_target", _OPT_STR),
            resolves=bool(_opt(finding, "resolves", (bool,), False)),
        )


# --- YTM401, YTM402 -> relink-draft -----------------------------------------------------------


@dataclass(frozen=True)
class DraftFacts:
    """An unposted episode's run whose capcut_draft is not local (YTM401: `why`) or is broken
    (YTM402: `reason`), with the local drafts it could be relinked to."""

    run_id: str
    stage: str | None
    link_target: str | None = None
    link_target_abs: str | None = None
    resolved: str | None = None
    info_draft_path: str | None = None
    link_state: str = "missing"
    candidates: tuple[str, ...] = ()
    why: str | None = None  # YTM401
    reason: str | None = None  # YTM402
    info_error: str | None = None  # capcut_draft_info.json could not be used
    # share_relative is reported only where it was looked up, and may then be None.
    share_relative: str | None = None
    share_looked_up: bool = False

    def with_share(self, share_relative: str | None) -> DraftFacts:
        return replace(self, share_relative=share_relative, share_looked_up=True)

    def to_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "run_id": self.run_id,
            "stage": self.stage,
            "link_target": self.link_target,
            "link_target_abs": self.link_target_abs,
            "resolved": self.resolved,
            "info_draft_path": self.info_draft_path,
        }
        if self.info_error is not None:
            details["info_error"] = self.info_error
        details["link_state"] = self.link_state
        if self.share_looked_up:
            details["share_relative"] = self.share_relative
        if self.why is not None:
            details["why"] = self.why
        if self.reason is not None:
            details["reason"] = self.reason
        details["candidates"] = list(self.candidates)
        return details

    @classmethod
    def from_finding(cls, finding: Finding) -> DraftFacts:
        return cls(
            run_id=_opt(finding, "run_id", _STR, ""),
            stage=_opt(finding, "stage", _STR),
            link_target=_opt(finding, "link_target", _STR),
            link_target_abs=_opt(finding, "link_target_abs", _STR),
            resolved=_opt(finding, "resolved", _STR),
            info_draft_path=_opt(finding, "info_draft_path", _STR),
            link_state=_opt(finding, "link_state", _STR, "missing"),
            candidates=_strings(finding, "candidates"),
            why=_opt(finding, "why", _STR),
            reason=_opt(finding, "reason", _STR),
            info_error=_opt(finding, "info_error", _STR),
            share_relative=_opt(finding, "share_relative", _STR),
            share_looked_up="share_relative" in _details(finding),
        )


# --- YTM405 -> restore-run --------------------------------------------------------------------


@dataclass(frozen=True)
class ArchivedRunFacts:
    """A run status.json adopts that is gone from video/runs, and where copies of it are."""

    run_id: str
    stage: str | None
    archived_copies: tuple[str, ...]  # workspace-relative directories
    archive_report: tuple[str, ...] = ()  # archive reports that mention the run
    run_dir_link: str | None = None
    vault_copy: str | None = None

    def to_details(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "stage": self.stage,
            "archived_copies": list(self.archived_copies),
            "archive_report": list(self.archive_report),
            "run_dir_link": self.run_dir_link,
            "vault_copy": self.vault_copy,
        }

    def copy_refs(self, finding: Finding) -> list[PathRef]:
        return [path_ref("workspace", c, finding, "an archived copy") for c in self.archived_copies]

    @classmethod
    def from_finding(cls, finding: Finding) -> ArchivedRunFacts:
        facts = cls(
            run_id=_opt(finding, "run_id", _STR, ""),
            stage=_opt(finding, "stage", _STR),
            archived_copies=_strings(finding, "archived_copies"),
            archive_report=tuple(
                r for r in _opt(finding, "archive_report", (list, tuple), ()) if isinstance(r, str)
            ),
            run_dir_link=_opt(finding, "run_dir_link", _STR),
            vault_copy=_opt(finding, "vault_copy", _STR),
        )
        facts.copy_refs(finding)  # every copy a plain workspace path, checked here once
        return facts


# --- YTM406 -> archive-runs ---------------------------------------------------------------------


@dataclass(frozen=True)
class ArchivableRunsFacts:
    """The runs the archive guards let go now, in the scan's scope; the fixer moves those of
    them that the guards, asked again when it plans, still let go."""

    run_ids: tuple[str, ...]
    size_bytes: int | None  # measured only while the disk is below disk.warn_free_gib
    channel: str | None = None  # the scan's --channel/--video: the archive's scope
    video: str | None = None
    kept: Mapping[str, int] = field(default_factory=dict)  # guard -> runs it keeps
    free_gib: float | None = None  # free space on the workspace's disk, when below warn
    warn_free_gib: float | None = None

    def to_details(self) -> dict[str, Any]:
        return {
            "run_ids": list(self.run_ids),
            "size_bytes": self.size_bytes,
            "channel": self.channel,
            "video": self.video,
            "kept": dict(self.kept),
            "free_gib": self.free_gib,
            "warn_free_gib": self.warn_free_gib,
        }

    @classmethod
    def from_finding(cls, finding: Finding) -> ArchivableRunsFacts:
        kept = _opt(finding, "kept", dict, {})
        return cls(
            run_ids=_strings(finding, "run_ids"),
            size_bytes=_opt(finding, "size_bytes", (int,), 0),
            channel=_opt(finding, "channel", _STR),
            video=_opt(finding, "video", _STR),
            kept={k: v for k, v in kept.items() if isinstance(v, int)},
            free_gib=_opt(finding, "free_gib", _NUMBER),
            warn_free_gib=_opt(finding, "warn_free_gib", _NUMBER),
        )


# --- YTM602 -> reseed-planning-cache ----------------------------------------------------------


@dataclass(frozen=True)
class CacheDriftFacts:
    """A planning cache file that differs from (or is missing beside) its SoT file."""

    reason: str  # "differs" or "missing from cache"
    sot_path: str | None  # absolute: the SoT may live outside every root (a planning root)
    sot_root: str | None = None
    cache_sha256: str | None = None
    sot_sha256: str | None = None
    cache_size: int | None = None
    sot_size: int | None = None
    channel: str | None = None  # reported only when the file belongs to one channel

    def to_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "reason": self.reason,
            "sot_path": self.sot_path,
            "sot_root": self.sot_root,
            "cache_sha256": self.cache_sha256,
            "sot_sha256": self.sot_sha256,
            "cache_size": self.cache_size,
            "sot_size": self.sot_size,
        }
        if self.channel:
            details["channel"] = self.channel
        return details

    @classmethod
    def from_finding(cls, finding: Finding) -> CacheDriftFacts:
        return cls(
            reason=_opt(finding, "reason", _STR, ""),
            sot_path=_need(finding, "sot_path", _OPT_STR),
            sot_root=_opt(finding, "sot_root", _STR),
            cache_sha256=_opt(finding, "cache_sha256", _STR),
            sot_sha256=_opt(finding, "sot_sha256", _STR),
            cache_size=_opt(finding, "cache_size", (int,)),
            sot_size=_opt(finding, "sot_size", (int,)),
            channel=_opt(finding, "channel", _STR),
        )


# --- YTM601 -> seed-planning ------------------------------------------------------------------


@dataclass(frozen=True)
class PlanningSeedFacts:
    """The planning SoT on the Vault does not exist while the Hot workspace has its planning/
    cache: the SoT can be made from the cache (there is nothing at the SoT to overwrite)."""

    sot: Mapping[str, str]  # {"root", "rel"}: where the SoT belongs (root "vault")
    cache: Mapping[str, str]  # {"root", "rel"}: the Hot cache (root "workspace")

    def to_details(self) -> dict[str, Any]:
        return {"seed_to": dict(self.sot), "seed_from": dict(self.cache)}

    @classmethod
    def from_finding(cls, finding: Finding) -> PlanningSeedFacts:
        return cls(
            sot=_need(finding, "seed_to", (dict,)), cache=_need(finding, "seed_from", (dict,))
        )

    def refs(self, finding: Finding) -> tuple[PathRef, PathRef]:
        """(the SoT, the cache) as PathRefs; NotFixable unless both are plain relative paths."""
        sot = path_ref(self.sot.get("root"), self.sot.get("rel"), finding, "seed_to")
        cache = path_ref(self.cache.get("root"), self.cache.get("rel"), finding, "seed_from")
        return sot, cache


# --- YTM701 -> flush-outbox -------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxFacts:
    """An outbox manifest whose files are not on the share yet."""

    manifest: str  # relative to uploads/<namespace>/ of the outbox
    kind: str | None = None
    created_at: str | None = None
    outbox_host: str | None = None
    # [{path, size, sha256}] as the manifest records them; the flush re-reads the manifest.
    entries: tuple[Mapping[str, Any], ...] = ()
    problem: str | None = None  # the manifest cannot be used
    waits_for: str | None = None  # what keeps the share from taking the flush

    def to_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "manifest": self.manifest,
            "kind": self.kind,
            "created_at": self.created_at,
            "outbox_host": self.outbox_host,
            "entries": [dict(e) for e in self.entries],
        }
        if self.problem is not None:
            details["problem"] = self.problem
        if self.waits_for is not None:
            details["waits_for"] = self.waits_for
        return details

    @classmethod
    def from_finding(cls, finding: Finding) -> OutboxFacts:
        if _details(finding).get("manifest") is None:
            raise NotFixable("no manifest: store the local file again", finding)
        entries = _opt(finding, "entries", (list, tuple), ())
        return cls(
            manifest=_need(finding, "manifest", _STR),
            kind=_opt(finding, "kind", _STR),
            created_at=_opt(finding, "created_at", _STR),
            outbox_host=_opt(finding, "outbox_host", _STR),
            entries=tuple(e for e in entries if isinstance(e, Mapping)),
            problem=_opt(finding, "problem", _STR),
            waits_for=_opt(finding, "waits_for", _STR),
        )


# --- YTM702 -> store --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredCopyFacts:
    """A stored file that is missing or damaged, and the local file it was stored from."""

    manifest: str
    problem: str  # missing, not-a-file, unreadable, size, sha256, unrecorded
    kind: str  # the artifact kind, stored again under the same kind
    # {"root", "path", "size", "mtime_ns"} as the manifest records the local source.
    source: Mapping[str, Any] = field(default_factory=dict)
    expected_size: int | None = None
    expected_sha256: str | None = None
    actual: Mapping[str, Any] = field(default_factory=dict)  # what the check found on the share

    def to_details(self) -> dict[str, Any]:
        return {
            "manifest": self.manifest,
            "problem": self.problem,
            "expected_size": self.expected_size,
            "expected_sha256": self.expected_sha256,
            "actual": dict(self.actual),
            "source": dict(self.source),
            "kind": self.kind,
        }

    def source_ref(self, finding: Finding) -> PathRef:
        return path_ref(self.source.get("root"), self.source.get("path"), finding, "source")

    @staticmethod
    def stored_path(finding: Finding) -> str:
        """The stored file's path under the store's base: the finding is at
        uploads/<namespace>/<stored path> on the share."""
        parts = finding.path.split("/", 2)
        if len(parts) != 3 or parts[0] != "uploads" or not parts[2]:
            raise NotFixable(f"{where(finding)} is not a path under uploads/", finding)
        return parts[2]

    @classmethod
    def from_finding(cls, finding: Finding) -> StoredCopyFacts:
        facts = cls(
            manifest=_opt(finding, "manifest", _STR, ""),
            problem=_opt(finding, "problem", _STR, ""),
            kind=_need(finding, "kind", _STR),
            source=_need(finding, "source", (dict,)),
            expected_size=_opt(finding, "expected_size", (int,)),
            expected_sha256=_opt(finding, "expected_sha256", _STR),
            actual=_opt(finding, "actual", (dict,), {}),
        )
        facts.source_ref(finding)
        cls.stored_path(finding)
        return facts


# --- YTM705 -> store --------------------------------------------------------------------------


@dataclass(frozen=True)
class ArtifactItem:
    """One final artifact of an episode that no manifest records."""

    kind: str
    path: str  # workspace-relative local file
    dest: str  # where it goes under the store's base
    run_id: str | None = None

    def ref(self) -> PathRef:
        return PathRef("workspace", self.path)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "dest": self.dest, "run_id": self.run_id}


@dataclass(frozen=True)
class UnstoredFacts:
    """A published episode's final artifacts (L1) that are not in the shared store."""

    artifacts: tuple[ArtifactItem, ...]
    store_command: str = ""  # the command that stores them by hand

    def to_details(self) -> dict[str, Any]:
        return {
            "artifacts": [a.to_json() for a in self.artifacts],
            "store_command": self.store_command,
        }

    @classmethod
    def from_finding(cls, finding: Finding) -> UnstoredFacts:
        items = []
        for raw in _need(finding, "artifacts", (list, tuple)):
            if not isinstance(raw, dict) or not all(
                isinstance(raw.get(k), str) for k in ("kind", "path", "dest")
            ):
                why = f"{where(finding)} has an artifact without kind, path and dest"
                raise NotFixable(why, finding)
            run_id = raw.get("run_id")
            item = ArtifactItem(
                raw["kind"], raw["path"], raw["dest"], run_id if isinstance(run_id, str) else None
            )
            path_ref("workspace", item.path, finding, "an artifact")
            items.append(item)
        return cls(tuple(items), _opt(finding, "store_command", _STR, ""))


# --- YTM704 -> clear-stale-lock ---------------------------------------------------------------


@dataclass(frozen=True)
class LockFacts:
    """A lock file whose owner is gone or silent."""

    lock: str  # the lock's name (mirror, scan, store)
    reason: str | None  # why it is judged stale, in words
    owner: Mapping[str, Any] | None = None  # the lock's record as read; None when unreadable
    stale_after_sec: float | None = None

    def to_details(self) -> dict[str, Any]:
        return {
            "lock": self.lock,
            "reason": self.reason,
            "owner": dict(self.owner) if self.owner is not None else None,
            "stale_after_sec": self.stale_after_sec,
        }

    @classmethod
    def from_finding(cls, finding: Finding) -> LockFacts:
        return cls(
            lock=_opt(finding, "lock", _STR, ""),
            reason=_opt(finding, "reason", _STR),
            owner=_opt(finding, "owner", (dict,)),
            stale_after_sec=_opt(finding, "stale_after_sec", _NUMBER),
        )
